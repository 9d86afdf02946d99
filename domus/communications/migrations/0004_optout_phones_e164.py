from django.db import migrations


def optout_phones_to_e164(apps, schema_editor):
    """Opt-out phone numbers in E.164, the spelling sends are now checked against."""
    from domus.communications.addresses import normalize_stored_optouts

    normalize_stored_optouts(apps.get_model("communications", "OptOut"))


class Migration(migrations.Migration):
    dependencies = [
        ('communications', '0003_delivery_whatsapp_template'),
    ]

    operations = [
        migrations.RunPython(optout_phones_to_e164, migrations.RunPython.noop),
    ]
