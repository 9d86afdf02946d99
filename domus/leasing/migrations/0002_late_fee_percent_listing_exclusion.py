"""A percent late fee lies in (0, 100]; on PostgreSQL, no two active leases of a whole
listing (no unit) with overlapping dates."""

from django.db import migrations, models

LISTING_EXCLUSION = "lease_no_overlapping_active_listing"


def add_listing_exclusion(apps, schema_editor):
    """PostgreSQL only (btree_gist is created by 0001): one active whole-listing lease at a time."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE leasing_lease ADD CONSTRAINT {LISTING_EXCLUSION} EXCLUDE USING gist "
        "(listing_id WITH =, daterange(start_date, end_date, '[]') WITH &&) "
        "WHERE (status = 'active' AND unit_id IS NULL)"
    )


def drop_listing_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE leasing_lease DROP CONSTRAINT IF EXISTS {LISTING_EXCLUSION}")


class Migration(migrations.Migration):
    dependencies = [
        ("leasing", "0001_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="lease",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("late_fee_type", "percent"), _negated=True),
                    models.Q(("late_fee_value__gt", 0), ("late_fee_value__lte", 100)),
                    _connector="OR",
                ),
                name="lease_late_fee_percent",
            ),
        ),
        migrations.RunPython(add_listing_exclusion, drop_listing_exclusion),
    ]
