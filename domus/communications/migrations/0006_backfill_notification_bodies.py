"""Notifications made from domain events before every event had a body: write the
body from the event and the payload the notification kept (``data``)."""

from django.db import migrations

BATCH = 1000


def fill_bodies(apps, schema_editor):
    from domus.communications.notices import NOTICES, notice

    Notification = apps.get_model("communications", "Notification")
    rows = Notification.objects.filter(body="", event__in=list(NOTICES)).only("id", "event", "data", "body")
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        row.body = notice(row.event, row.data if isinstance(row.data, dict) else {})[2]
        batch.append(row)
        if len(batch) == BATCH:
            Notification.objects.bulk_update(batch, ["body"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["body"])


class Migration(migrations.Migration):
    dependencies = [("communications", "0005_optout_dial_out_and_mailboxes")]

    operations = [migrations.RunPython(fill_bodies, migrations.RunPython.noop)]
