"""Statements prepared once per PostgreSQL connection and run by name from PL/pgSQL.

PL/pgSQL's ``EXECUTE`` plans the text it is given on every call. The reads
``domus.core.locks`` runs after its locks are the same SQL each time but for their
values (a lead's duplicate check with its round-robin turn spends about 0.3 ms of the
database's CPU planning), so ``statement_text`` prepares each once per connection
(``PREPARE``) and hands the function ``EXECUTE <name>(<values>)``: PostgreSQL plans it
for its first five runs, then keeps a generic plan when that is no costlier.

A prepared statement lives in one server session: it pays with persistent connections
(``DATABASE_CONN_MAX_AGE`` above 0, where it is on by default) and cannot work behind a
pooler that sends one client's statements to several server sessions (PgBouncer in
transaction mode: set ``DATABASE_PREPARED_STATEMENTS=false``)."""

import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from django.conf import settings
from django.db import connection as default_connection
from psycopg.types.json import Json, Jsonb

# The parameter types a statement is prepared with, for the values the server could not
# always type from where they stand (a uuid in an INSERT's SELECT list). Any other value
# (text, NULL, an address) is ``unknown``: the server takes the type of the column or
# operator beside it, as it does for a bound string. Order matters: bool is an int,
# datetime a date.
_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "bigint"),
    (UUID, "uuid"),
    (datetime, "timestamptz"),
    (date, "date"),
    (Decimal, "numeric"),
    (Jsonb, "jsonb"),
    (Json, "json"),
)
_PLACEHOLDER = re.compile(r"%([%s])")


def statement_text(sql: str, params: Sequence[Any], connection: Any = None) -> str:
    """``sql`` (with ``%s`` placeholders) and ``params`` as one SQL text for PL/pgSQL to
    run: ``EXECUTE <name>(<values>)`` of a statement prepared on this connection (it is
    prepared here on the connection's first call), or, with prepared statements off,
    ``sql`` with the values written into it. The values are quoted by psycopg either way."""
    connection = connection or default_connection
    connection.ensure_connection()
    params = list(params)
    if not settings.DATABASE_PREPARED_STATEMENTS:
        return with_values(sql, params, connection)
    name = _prepare(connection, sql, [_type_of(value) for value in params])
    return (
        f"EXECUTE {name}({with_values(', '.join(['%s'] * len(params)), params, connection)})"
        if params
        else f"EXECUTE {name}"
    )


def with_values(sql: str, params: Sequence[Any], connection: Any = None) -> str:
    """``sql`` with ``params`` written into it, quoted by psycopg as it binds them."""
    connection = connection or default_connection
    connection.ensure_connection()  # a no-op when it is open
    return psycopg.ClientCursor(connection.connection).mogrify(sql, list(params))


def _prepare(connection: Any, sql: str, types: list[str]) -> str:
    """The name of ``sql`` prepared with these parameter types on the connection."""
    name = "domus_" + hashlib.blake2b(f"{types}:{sql}".encode(), digest_size=12).hexdigest()
    names = _prepared_on(connection)
    if name not in names:
        numbers = iter(range(1, len(types) + 1))
        numbered = _PLACEHOLDER.sub(lambda found: "%" if found[1] == "%" else f"${next(numbers)}", sql)
        declared = f" ({', '.join(types)})" if types else ""
        # Once a session, on the driver's connection: like psycopg's own preparing, not a
        # statement of the request's (the query log and the query-count tests skip it).
        # A name from a digest, SQL from Django's compiler; no value is in the text.
        connection.connection.execute(f"PREPARE {name}{declared} AS {numbered}")
        names.add(name)
    return name


def _prepared_on(connection: Any) -> set[str]:
    """The names prepared on the connection's current server session. A connection wrapper
    belongs to one thread; a reconnect (a new session) starts an empty set."""
    session, names = getattr(connection, "_domus_prepared", (None, set()))
    if session is not connection.connection:
        names = set()
        connection._domus_prepared = (connection.connection, names)
    return names


def _type_of(value: Any) -> str:
    return next((name for kind, name in _TYPES if isinstance(value, kind)), "unknown")
