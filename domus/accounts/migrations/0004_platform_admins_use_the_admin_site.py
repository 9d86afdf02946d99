"""Platform admins (role ``admin``) become staff and superusers, so they can sign in to
the Django admin; users of other roles created as superusers before keep what they have."""

from django.db import migrations


def grant(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(role="admin").update(is_staff=True, is_superuser=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_constraints_token_index")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
