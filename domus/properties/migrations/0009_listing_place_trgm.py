"""PostgreSQL: a trigram index over a listing's city and address, so a misspelled place
("Mombassa", "Lavingtn") still finds it, as a misspelled title word already did (0001).
Nothing on other databases."""

from django.db import migrations

INDEX = "listing_place_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON properties_listing USING gin ((city || ' ' || address) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("properties", "0008_listing_listed_at")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
