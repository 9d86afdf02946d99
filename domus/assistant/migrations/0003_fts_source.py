"""SQLite's FTS5 table also keeps each passage's source (document version or article id)
and model, so the keyword half tests the caller's readable sources on the matching rows
themselves (one JSON parameter) instead of through a subquery over every readable passage.
PostgreSQL reads both from the passage row and is unchanged."""

from django.db import migrations

COLUMNS = "text, chunk_id UNINDEXED, source UNINDEXED, model_id UNINDEXED"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS assistant_chunk_fts")
    schema_editor.execute(f"CREATE VIRTUAL TABLE assistant_chunk_fts USING fts5({COLUMNS})")
    schema_editor.execute(
        "INSERT INTO assistant_chunk_fts (text, chunk_id, source, model_id) "
        "SELECT text, id, COALESCE(version_id, article_id), model_id FROM assistant_chunk"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS assistant_chunk_fts")
    schema_editor.execute("CREATE VIRTUAL TABLE assistant_chunk_fts USING fts5(text, chunk_id UNINDEXED)")
    schema_editor.execute("INSERT INTO assistant_chunk_fts (text, chunk_id) SELECT text, id FROM assistant_chunk")


class Migration(migrations.Migration):
    dependencies = [("assistant", "0002_chunk_full_text")]

    operations = [migrations.RunPython(forwards, backwards)]
