"""A query's rows as CSV, written by PostgreSQL's ``COPY (query) TO STDOUT`` and passed on in
blocks, for downloads of up to millions of rows.

``COPY`` formats the rows in the database cheaper than SQL expressions do (its output
functions, no string building per column), but it sends every row as its own protocol
message, and psycopg's ``Copy.read()`` answers one message a call through a generator and a
wait (about a microsecond a row: a second per million rows of Python). ``copy_csv`` starts
the ``COPY`` with psycopg (its errors, and the cancel-and-drain when the reader stops early,
are psycopg's), then reads the messages itself with libpq's non-blocking ``PQgetCopyData``
(``Connection.pgconn``, psycopg's documented low-level handle), waits on the socket (the
GIL released) only when libpq has nothing buffered, and joins them into blocks of about
``block`` bytes: one Python loop step a row, no call into psycopg's machinery.

PostgreSQL only: the callers format the rows themselves on other databases."""

import selectors
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db import connections, transaction
from psycopg import ClientCursor, errors, pq

BLOCK = 1 << 16


def copy_csv(
    sql: str,
    params: Sequence[Any],
    *,
    header: bool = True,
    block: int = BLOCK,
    settings: Mapping[str, str] | None = None,
    using: str = "default",
) -> Iterator[bytes]:
    """The rows of ``sql`` (a query with ``%s`` placeholders) as ``COPY``'s CSV, in blocks of
    about ``block`` bytes, header line first when ``header``. Runs in a transaction of its
    own (or the caller's), with ``settings`` (e.g. ``{"jit": "off"}``) set for it alone."""
    connection = connections[using]
    with transaction.atomic(using=using):
        previous = {}
        with connection.cursor() as cursor:
            for name, value in (settings or {}).items():
                cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
                previous[name] = cursor.fetchone()[0]
        raw = connection.connection
        query = ClientCursor(raw).mogrify(sql, params)  # COPY takes no bound parameters
        statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv{', HEADER' if header else ''})"
        with connection.wrap_database_errors:
            yield from _relay(raw, statement, block)
        # back as they were for the rest of a caller's transaction (a failure rolls them back)
        with connection.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _relay(raw: Any, statement: str, block: int) -> Iterator[bytes]:
    pgconn = raw.pgconn
    with selectors.DefaultSelector() as selector, raw.cursor() as cursor, cursor.copy(statement):
        selector.register(pgconn.socket, selectors.EVENT_READ)

        def wait() -> None:  # until the server sends more
            selector.select()
            pgconn.consume_input()

        get = pgconn.get_copy_data
        pending = bytearray()
        while True:
            size, data = get(1)  # 1: never blocks; 0 when libpq has nothing buffered
            if size > 0:
                pending += data
                if len(pending) >= block:
                    yield bytes(pending)
                    pending.clear()
            elif size == 0:
                wait()
            else:  # -1: the rows are all here; what remains is the COPY's own result
                break
        failed = None
        while True:  # every result, so the connection is idle again whatever happened
            while pgconn.is_busy():
                wait()
            if (result := pgconn.get_result()) is None:
                break
            if result.status != pq.ExecStatus.COMMAND_OK and failed is None:
                failed = result
        if failed is not None:
            raise _error(failed, raw.info.encoding)
    yield bytes(pending)


def _error(result: Any, encoding: str) -> Exception:
    """The psycopg exception for a failed result (the class its SQLSTATE names)."""
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    message = result.error_message.decode(encoding, "replace").strip()
    try:
        kind = errors.lookup(state.decode()) if state else errors.DatabaseError
    except KeyError:
        kind = errors.DatabaseError
    return kind(message)
