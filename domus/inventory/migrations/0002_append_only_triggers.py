"""On PostgreSQL the stock ledger and the price log refuse UPDATE and DELETE in the
database itself (a row trigger), whoever connects. (TRUNCATE, an owner's tool that
test runs use to empty tables, is not a row operation and stays possible.) Other databases rely on the models'
guard (``AppendOnlyModel``)."""

from django.db import migrations

TABLES = ("inventory_stockledgerentry", "inventory_pricelog")

FUNCTION = """
CREATE OR REPLACE FUNCTION inventory_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION inventory_append_only()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS inventory_append_only()")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
