"""The keyword half of retrieval: on PostgreSQL a stored generated ``tsvector`` column of the
passages' text (``simple`` configuration: no stemming, so codes and numbers stay whole) with
a GIN index, so neither matching nor ranking re-parses the text; on SQLite an FTS5 table the
index service keeps in step with the passages."""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE assistant_chunk ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED"
        )
        schema_editor.execute("CREATE INDEX chunk_search_vector ON assistant_chunk USING GIN (search_vector)")
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS assistant_chunk_fts USING fts5(text, chunk_id UNINDEXED)"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE assistant_chunk DROP COLUMN IF EXISTS search_vector")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS assistant_chunk_fts")


class Migration(migrations.Migration):
    dependencies = [("assistant", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
