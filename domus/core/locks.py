"""Transaction advisory locks taken in the same round trip as the read they guard.

In READ COMMITTED a statement reads one snapshot, taken when it starts: a lock it waits
for inside does not make what the lock's holder committed meanwhile visible to its own
reads. So a guarded read has been a second statement after its lock. ``after_locks``
makes both one: the read goes, bound, to ``domus_after_locks`` (a PL/pgSQL function,
migration ``core.0002``), which takes the locks in order and then runs it as a statement
of its own, with a snapshot taken once the locks are held. PostgreSQL only."""

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import connection as default_connection

from domus.core.prepared import statement_text, with_values


def lock_key(*names: object) -> int:
    """A signed 64-bit advisory lock key for the thing ``names`` name, most general first
    (``"crm.lead", company_id, "email", email``)."""
    digest = hashlib.blake2b(":".join(map(str, names)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def after_locks(keys: Sequence[int], sql: str, params: Sequence[Any], connection: Any = None) -> tuple[str, list[Any]]:
    """An SQL expression, with its parameters, that takes the transaction advisory locks
    ``keys`` (signed 64-bit, in the order given) and answers the first value of the first
    row of ``sql`` read after them, as text (NULL for no row). The locks last until
    commit, as ``pg_advisory_xact_lock``'s do."""
    read = statement_text(sql, params, connection or default_connection)
    locks = ", ".join(["%s"] * len(keys))
    return f"domus_after_locks(ARRAY[{locks}]::bigint[], %s)", [*keys, read]


def hold(*keys: int) -> None:
    """Take the transaction advisory locks ``keys`` (in sorted order, so two holders of
    overlapping sets queue instead of deadlocking) until commit, in one round trip; the
    caller's next statement reads what their previous holders committed. Nothing off
    PostgreSQL: SQLite writes one transaction at a time by itself."""
    if default_connection.vendor != "postgresql":
        return
    guarded, params = after_locks(sorted(set(keys)), "SELECT 1", [])
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT {guarded}", params)


def write_after_locks(
    keys: Sequence[int],
    query: tuple[str, Sequence[Any]],
    statement: tuple[str, Sequence[Any]],
    placeholder: UUID,
    null_member: str = "",
) -> str | None:
    """One round trip, atomic on its own (autocommit: its locks last until it ends): take
    the advisory locks ``keys`` in order, read ``query`` after them (as ``after_locks``)
    and, when it answers ``"a:<uuid>"`` or ``"a:"``, run ``statement`` with
    ``placeholder`` (a random UUID written where the answered one goes: as a bound uuid
    or a JSON string) replaced by the answered UUID; for ``"a:"`` the JSON object member
    ``null_member`` (its exact text) is taken out and the placeholder's other forms become
    NULL (migration ``core.0002``). Answers what ``query`` answered. PostgreSQL only."""
    read = statement_text(*query)
    locks = ", ".join(["%s"] * len(keys))
    with default_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT domus_write_after_locks(ARRAY[{locks}]::bigint[], %s, %s, %s, %s)",
            [
                *keys,
                read,
                with_values(*statement),
                placeholder,
                null_member,
            ],
        )
        return cursor.fetchone()[0]
