from django.db import migrations


def optouts_in_todays_spelling(apps, schema_editor):
    """Opt-outs recorded as dialled (``00254...``) or for an e-mail sub-address
    (``jane+promo@x.com``) in the spelling sends are now checked against."""
    from domus.communications.addresses import normalize_stored_optouts

    normalize_stored_optouts(apps.get_model("communications", "OptOut"))


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0004_optout_phones_e164"),
    ]

    operations = [
        migrations.RunPython(optouts_in_todays_spelling, migrations.RunPython.noop),
    ]
