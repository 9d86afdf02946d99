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

One backend formats every row, so a large download takes one database core however many
the server has. ``copy_csv_parts`` splits it: the caller's ``plan`` cuts the query into
consecutive pieces (e.g. ranges of a unique key), each piece runs as its own ``COPY`` on
its own connection, all at once, in one snapshot (the first connection's transaction is
``REPEATABLE READ`` and exports its snapshot, the others import it: the pieces together
are one point in time, as one query would be), and the pieces are passed on in order:
the first as it comes, the later ones held (in memory up to ``SPOOL_MEMORY`` bytes each,
then in a temporary file) until their turn. When the server refuses another connection
the pieces run one after the other on the first, in the same snapshot: the same bytes.

PostgreSQL only: the callers format the rows themselves on other databases."""

import logging
import selectors
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import psycopg
from django.db import connections, transaction
from psycopg import ClientCursor, errors, pq

logger = logging.getLogger(__name__)

BLOCK = 1 << 16
# a later piece's rows held in memory up to this many bytes, then in a temporary file
SPOOL_MEMORY = 8 << 20
HOLD = 1 << 20  # written to the spool this many bytes at a time

Query = tuple[str, Sequence[Any]]
Plan = Callable[[Any, int], Sequence[Query]]


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
    return copy_csv_parts(
        lambda cursor, most: [(sql, params)], header=header, block=block, settings=settings, using=using
    )


def copy_csv_parts(
    plan: Plan,
    *,
    connections_max: int = 1,
    header: bool = True,
    block: int = BLOCK,
    settings: Mapping[str, str] | None = None,
    using: str = "default",
) -> Iterator[bytes]:
    """The rows of the queries ``plan(cursor, most)`` answers (1 to ``most`` of them, each
    ``(sql, params)``, run in that snapshot: it may read to decide where to cut) one after
    the other as one ``COPY`` CSV (the header, when ``header``, from the first), in blocks
    of about ``block`` bytes. With ``connections_max`` above 1 and the connection outside
    any transaction, the queries run at once on that many connections (the ``using``
    one and new ones like it), in one snapshot; inside a caller's transaction (whose
    writes no other connection sees) ``plan`` is asked for one query, run in it."""
    connection = connections[using]
    connection.ensure_connection()
    split = connections_max > 1 and not connection.in_atomic_block
    with transaction.atomic(using=using):
        previous = {}
        with connection.cursor() as cursor:
            if split:  # the first statement of the transaction: its snapshot is the export's
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for name, value in (settings or {}).items():
                cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
                previous[name] = cursor.fetchone()[0]
            queries = list(plan(cursor, connections_max if split else 1))
            snapshot = None
            if split and len(queries) > 1:  # (only then is this transaction's snapshot the one to share)
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
        raw = connection.connection
        mogrify = ClientCursor(raw).mogrify  # COPY takes no bound parameters
        statements = [
            f"COPY ({mogrify(sql, params)}) TO STDOUT WITH (FORMAT csv{', HEADER' if header and n == 0 else ''})"
            for n, (sql, params) in enumerate(queries)
        ]
        with connection.wrap_database_errors:
            helpers = [] if snapshot is None else _helpers(connection, snapshot, settings or {}, len(statements) - 1)
            if helpers:
                yield from _relay_parts(raw, statements, helpers, block)
            else:  # one query, or no other connection to be had: the pieces one after the other, same snapshot
                for statement in statements:
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
        _finish(raw, wait)
    yield bytes(pending)


def _finish(raw: Any, wait: Callable[[], None]) -> None:
    """Reads every result after a ``COPY``'s rows, so the connection is idle again whatever
    happened; raises the error of a failed one."""
    pgconn = raw.pgconn
    failed = None
    while True:
        while pgconn.is_busy():
            wait()
        if (result := pgconn.get_result()) is None:
            break
        if result.status != pq.ExecStatus.COMMAND_OK and failed is None:
            failed = result
    if failed is not None:
        raise _error(failed, raw.info.encoding)


class _Piece:
    """One ``COPY`` being read: its rows go to the reader's block while it is the piece
    being passed on, before that to ``held``, moved to ``spool`` by the megabyte."""

    def __init__(self, raw: Any, statement: str, stack: ExitStack) -> None:
        self.raw = raw
        self.pgconn = raw.pgconn
        cursor = stack.enter_context(raw.cursor())
        stack.enter_context(cursor.copy(statement))
        self.done = False
        self.held = bytearray()
        self.spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY))  # noqa: SIM115

    def read(self, out: bytearray, limit: int) -> bool:
        """Appends the rows libpq holds to ``out`` until it has ``limit`` bytes (never
        waits); whether any came."""
        get = self.pgconn.get_copy_data
        start = len(out)
        while len(out) < limit:
            size, data = get(1)
            if size > 0:
                out += data
            elif size == 0:
                break
            else:
                self.done = True
                _finish(self.raw, self.wait)
                return True
        return len(out) > start

    def hold(self) -> bool:
        came = self.read(self.held, HOLD)
        if len(self.held) >= HOLD:
            self.spool.write(self.held)
            self.held.clear()
        return came

    def wait(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.pgconn.socket, selectors.EVENT_READ)
            selector.select()
        self.pgconn.consume_input()

    def replay(self, pending: bytearray, block: int) -> Iterator[bytes]:
        """What was held, oldest first, after ``pending``, in blocks of ``block`` bytes;
        what is left (less than a block) stays in ``pending``."""
        self.spool.write(self.held)
        self.held.clear()
        self.spool.seek(0)
        while chunk := self.spool.read(block - len(pending)):
            pending += chunk
            if len(pending) >= block:
                yield bytes(pending)
                pending.clear()
        self.spool.close()


def _helper(connection: Any, snapshot: str, settings: Mapping[str, str]) -> Any:
    """A new connection like ``connection``'s in a read-only transaction on ``snapshot``,
    with the session's time zone and ``settings``."""
    raw = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        zone = connection.connection.info.parameter_status("TimeZone")
        local = {**({"TimeZone": zone} if zone else {}), **settings}
        mogrify = ClientCursor(raw).mogrify
        setup = [
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            mogrify("SET TRANSACTION SNAPSHOT %s", [snapshot]),
            *(mogrify("SELECT set_config(%s, %s, true)", [name, value]) for name, value in local.items()),
        ]
        raw.execute("; ".join(setup))  # one round trip (no bound parameters: the simple protocol)
    except BaseException:
        raw.close()
        raise
    return raw


def _helpers(connection: Any, snapshot: str, settings: Mapping[str, str], count: int) -> list[Any]:
    """``count`` new connections on ``snapshot`` (``_helper``), or none when the server
    refuses one (e.g. it has no connection to spare: the caller then runs every piece on
    its own connection, in the same snapshot)."""
    helpers: list[Any] = []
    try:
        for _ in range(count):
            helpers.append(_helper(connection, snapshot, settings))
    except psycopg.OperationalError as error:
        logger.warning("copy_csv_parts: one connection for every piece (%s)", error)
        for helper in helpers:
            helper.close()
        return []
    return helpers


def _relay_parts(raw: Any, statements: Sequence[str], helpers: Sequence[Any], block: int) -> Iterator[bytes]:
    with ExitStack() as stack, selectors.DefaultSelector() as selector:
        for helper in helpers:
            stack.callback(helper.close)
        pieces = [_Piece(raw, statements[0], stack)]
        pieces += [_Piece(helper, statement, stack) for helper, statement in zip(helpers, statements[1:], strict=True)]
        for piece in pieces:
            selector.register(piece.pgconn.socket, selectors.EVENT_READ, piece)
        registered = {piece.pgconn.socket for piece in pieces}
        pending = bytearray()
        current = 0
        while current < len(pieces):
            came = False
            for piece in pieces[current + 1 :]:
                if not piece.done:
                    came |= piece.hold()
            piece = pieces[current]
            if not piece.done:
                came |= piece.read(pending, block)
            if len(pending) >= block:
                yield bytes(pending)
                pending.clear()
            if piece.done:
                current += 1
                if current < len(pieces):  # the next piece's turn: what it sent so far, then the rest as it comes
                    yield from pieces[current].replay(pending, block)
            elif not came:  # nothing buffered anywhere: until a server sends more
                for key, _ in selector.select():
                    key.data.pgconn.consume_input()
            for piece in pieces:
                if piece.done and piece.pgconn.socket in registered:
                    selector.unregister(piece.pgconn.socket)
                    registered.remove(piece.pgconn.socket)
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
