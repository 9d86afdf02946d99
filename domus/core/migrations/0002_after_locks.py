"""``domus_after_locks(lock_keys, query)`` on PostgreSQL: takes these transaction advisory
locks in order, then runs ``query`` as a statement of its own (a fresh snapshot, the locks
held) and answers its first value as text (``domus.core.locks.after_locks``). SQLite
needs no lock (it writes one transaction at a time) and gets nothing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION domus_after_locks(lock_keys bigint[], query text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_key bigint;
    answer text;
BEGIN
    FOREACH lock_key IN ARRAY lock_keys LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;
    -- A statement of its own: in READ COMMITTED it reads a snapshot taken now, which
    -- holds everything the locks' previous holders committed.
    EXECUTE query INTO answer;
    RETURN answer;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS domus_after_locks(bigint[], text)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
