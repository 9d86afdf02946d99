"""``domus_after_locks(lock_keys, query)`` on PostgreSQL: takes these transaction advisory
locks in order, then runs ``query`` as a statement of its own (a fresh snapshot, the locks
held) and answers its first value as text (``domus.core.locks.after_locks``). SQLite
needs no lock (it writes one transaction at a time) and gets nothing.

``domus_write_after_locks(lock_keys, query, statement, placeholder, null_member)`` on
PostgreSQL: takes these transaction advisory locks in order, runs ``query`` as a
statement of its own (a fresh snapshot, the locks held) and, when it answers
``a:<uuid>`` or ``a:``, runs ``statement`` with ``placeholder`` (a random UUID the caller
wrote where the answered one goes, as a bound uuid or a JSON string) replaced by that
UUID; for ``a:`` the JSON object member ``null_member`` is taken out (with its comma)
and the placeholder's other forms become NULL. Answers what ``query`` answered
(``domus.core.locks.write_after_locks``)."""

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
WRITE_AFTER_LOCKS = """
CREATE OR REPLACE FUNCTION domus_write_after_locks(
    lock_keys bigint[], query text, statement text, placeholder uuid, null_member text
) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    answer text := domus_after_locks(lock_keys, query);
    chosen uuid;
BEGIN
    IF left(answer, 2) = 'a:' THEN
        chosen := NULLIF(substr(answer, 3), '')::uuid;
        IF chosen IS NULL AND null_member <> '' THEN
            statement := replace(replace(replace(statement, null_member || ', ', ''), ', ' || null_member, ''), null_member, '');
        END IF;
        -- The placeholder as a bound uuid ('<32 hex>'::uuid) and inside JSON ("<uuid>").
        EXECUTE replace(
            replace(
                statement,
                quote_literal(replace(placeholder::text, '-', '')) || '::uuid',
                COALESCE(quote_literal(chosen::text) || '::uuid', 'NULL')
            ),
            '"' || placeholder::text || '"',
            COALESCE('"' || chosen::text || '"', 'null')
        );
    END IF;
    RETURN answer;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS domus_after_locks(bigint[], text)"
DROP_WRITE_AFTER_LOCKS = "DROP FUNCTION IF EXISTS domus_write_after_locks(bigint[], text, text, uuid, text)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute(WRITE_AFTER_LOCKS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_WRITE_AFTER_LOCKS)
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
