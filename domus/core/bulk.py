"""Insert many new rows at once: ``COPY ... FROM STDIN`` on PostgreSQL, ``bulk_create``
elsewhere.

``bulk_create`` builds one ``INSERT`` with a placeholder per value (a thousand listings
are 40,000 parameters), which PostgreSQL then parses and plans; ``COPY`` streams the
same values as rows, with neither. ``copy_create`` takes the same unsaved instances and
prepares each value the way ``bulk_create`` does (``pre_save`` for ``auto_now_add``,
``get_db_prep_save`` for JSON, decimals, UUIDs...), so the rows written are the same.

Its limits, which the callers respect: the primary key must be set on the instance
(UUID primary keys with a default are; an auto-increment key is left to the database and
not read back), no multi-table inheritance, and no signals (``bulk_create`` sends none
either). Triggers, constraints and indexes apply as for any insert."""

from collections.abc import Sequence

from django.db import connections, models


def copy_create(model: type[models.Model], instances: Sequence[models.Model], *, using: str = "default") -> int:
    """Insert ``instances`` (new rows of ``model``) in one ``COPY``; answers how many."""
    if not instances:
        return 0
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._base_manager.using(using).bulk_create(instances, batch_size=1000)
        return len(instances)
    opts = model._meta
    fields = [
        field
        for field in opts.concrete_fields
        if not getattr(field, "generated", False) and not (field.primary_key and isinstance(field, models.AutoField))
    ]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)}) FROM STDIN"
    for instance in instances:
        instance._prepare_related_fields_for_save(operation_name="copy_create")
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for instance in instances:
            copy.write_row([field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields])
    for instance in instances:
        instance._state.adding = False
        instance._state.db = using
    return len(instances)
