from django.db import migrations


def phones_to_e164(apps, schema_editor):
    """Store the phone numbers of clients and leads as domus.core.phones writes them now
    (E.164), so the duplicate check matches however a number was typed."""
    from domus.core.phones import normalize_phone

    for name in ("Client", "Lead"):
        model = apps.get_model("crm", name)
        for row in model.objects.exclude(phone="").only("pk", "phone").iterator():
            phone = normalize_phone(row.phone)
            if phone != row.phone:
                model.objects.filter(pk=row.pk).update(phone=phone)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(phones_to_e164, migrations.RunPython.noop),
    ]
