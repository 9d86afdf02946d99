"""PostgreSQL: the public listings as points on the earth (``cube`` + ``earthdistance``)
in a GiST index, so ``near`` finds the circle from the index and reads nearest-first
pages in index order (KNN). Nothing on other databases."""

from django.db import migrations

INDEX = "listing_public_earth"
PUBLIC = "deleted_at IS NULL AND is_published AND status IN ('available', 'under_offer', 'rented', 'sold')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS cube")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON properties_listing "
        "USING gist (ll_to_earth(latitude::float8, longitude::float8)) "
        f"WHERE {PUBLIC}"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("properties", "0005_facet_groups")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
