"""The ledger is append-only in the database too: on PostgreSQL a trigger refuses any UPDATE or
DELETE of ledger transactions and entries (corrections are reversing entries). Other vendors rely
on the model guards (``AppendOnly``). TRUNCATE (test flushes) does not fire row triggers."""

from django.db import migrations

TABLES = ("finance_ledgertransaction", "finance_ledgerentry")

CREATE = """
CREATE OR REPLACE FUNCTION finance_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION finance_ledger_append_only();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
DROP = "DROP FUNCTION IF EXISTS finance_ledger_append_only();"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
        schema_editor.execute(TRIGGER.format(table=table))


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_payment_callback_details")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
