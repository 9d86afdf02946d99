"""The keyword half of retrieval: on PostgreSQL a GIN index over the passages' full text
(``simple`` configuration: no stemming, so codes and numbers stay whole); on SQLite an FTS5
table the index service keeps in step with the passages."""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS chunk_text_fts ON assistant_chunk USING GIN (to_tsvector('simple', text))"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS assistant_chunk_fts USING fts5(text, chunk_id UNINDEXED)"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS chunk_text_fts")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS assistant_chunk_fts")


class Migration(migrations.Migration):
    dependencies = [("assistant", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
