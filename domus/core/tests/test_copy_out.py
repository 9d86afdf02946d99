"""``copy_csv``: a query's rows as ``COPY``'s CSV in blocks, the connection left usable
whether the reader takes everything, stops early or the query fails halfway; and
``copy_csv_parts``: pieces of one result on several connections in one snapshot, passed on
in order."""

import itertools
import time

import psycopg
import pytest
from django.db import DataError, connection, transaction

from domus.core import copy_out
from domus.core.copy_out import copy_csv, copy_csv_parts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _one(sql: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_the_rows_come_as_copys_csv_in_blocks_of_about_the_size_asked():
    blocks = list(
        copy_csv(
            "SELECT g AS n, %s || g AS label, g / 4.0 AS share FROM generate_series(1, 1000) g WHERE g > %s",
            ['a "quoted", 100% label ', 0],
            block=500,
        )
    )

    text = b"".join(blocks).decode()
    lines = text.splitlines()
    assert len(blocks) > 10
    assert all(len(block) >= 500 for block in blocks[:-1])
    assert lines[0] == "n,label,share"
    assert lines[1] == '1,"a ""quoted"", 100% label 1",0.25000000000000000000'
    assert len(lines) == 1001


def test_no_header_and_no_rows():
    assert b"".join(copy_csv("SELECT 1 AS n WHERE false", [], header=False)) == b""
    assert b"".join(copy_csv("SELECT 1 AS n WHERE false", [])) == b"n\n"


def test_settings_hold_for_the_copy_alone():
    before = _one("SELECT current_setting('jit')")

    out = b"".join(copy_csv("SELECT current_setting('jit') AS jit", [], header=False, settings={"jit": "off"}))

    assert out == b"off\n"
    assert _one("SELECT current_setting('jit')") == before


def test_a_reader_stopping_early_leaves_the_connection_usable():
    blocks = copy_csv("SELECT g FROM generate_series(1, 2000000) g", [], block=1024)
    assert next(blocks).startswith(b"g\n1\n2\n")

    blocks.close()  # the client went away: the COPY is cancelled and drained

    assert _one("SELECT 41 + 1") == 42


def test_a_query_failing_halfway_raises_and_leaves_the_connection_usable():
    blocks = copy_csv("SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g", [], block=1024)

    with pytest.raises(DataError, match="division by zero"):
        for _ in blocks:
            pass

    assert _one("SELECT 41 + 1") == 42


# Pieces on several connections (``copy_csv_parts``): they need committed rows (the other
# connections do not see a test's transaction), so these tests commit and clean up.


@pytest.fixture
def probe_table():
    """A committed table of the numbers 1 to 10, dropped after the test."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE copy_out_probe (n integer PRIMARY KEY)")
        cursor.execute("INSERT INTO copy_out_probe SELECT generate_series(1, 10)")
    yield "copy_out_probe"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE copy_out_probe")


def _backends() -> int:
    """Backends of this database, counted on a connection of its own (the test's is busy
    with the ``COPY`` while a reader holds it)."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        return other.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def _ranges(*cuts: int, sql: str = "SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 3000) g"):
    bounds = [None, *cuts, None]
    return [
        (
            f"SELECT * FROM ({sql}) q WHERE (%s::int IS NULL OR n > %s) AND (%s::int IS NULL OR n <= %s) ORDER BY n",
            [lo, lo, hi, hi],
        )
        for lo, hi in itertools.pairwise(bounds)
    ]


@pytest.mark.django_db(transaction=True)
def test_pieces_run_on_their_own_connections_and_come_in_order_as_one_csv():
    asked = []

    def plan(cursor, most):
        asked.append(most)
        return _ranges(700, 2100)

    whole = b"".join(copy_csv("SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 3000) g", [], block=256))
    blocks = list(copy_csv_parts(plan, connections_max=3, block=256))

    assert asked == [3]
    assert b"".join(blocks) == whole
    assert whole.startswith(b"n,label\n1,row 1\n")
    assert whole.count(b"\n") == 3001
    assert len(blocks) > 20
    assert all(len(block) >= 256 for block in blocks[:-1])
    assert _one("SELECT 41 + 1") == 42


@pytest.mark.django_db(transaction=True)
def test_the_pieces_read_one_snapshot_whatever_commits_meanwhile(probe_table):
    def plan(cursor, most):
        cursor.execute("SELECT count(*) FROM copy_out_probe")  # the export's snapshot is taken here
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("INSERT INTO copy_out_probe VALUES (11), (0)")
            other.execute("DELETE FROM copy_out_probe WHERE n IN (2, 9)")
        return [
            ("SELECT n FROM copy_out_probe WHERE n <= 5 ORDER BY n", []),
            ("SELECT n FROM copy_out_probe WHERE n > 5 ORDER BY n", []),
        ]

    out = b"".join(copy_csv_parts(plan, connections_max=2, header=False))

    assert out.split() == [str(n).encode() for n in range(1, 11)]


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_there_is_one_piece():
    asked = []

    def plan(cursor, most):
        asked.append(most)
        return _ranges()

    with transaction.atomic():
        out = b"".join(copy_csv_parts(plan, connections_max=4))

    assert asked == [1]
    assert out.count(b"\n") == 3001


@pytest.mark.django_db(transaction=True)
def test_a_reader_stopping_early_closes_the_other_connections():
    _one("SELECT 1")  # the test's own connection, open before counting
    before = _backends()
    blocks = copy_csv_parts(
        lambda cursor, most: _ranges(1000000, sql="SELECT g AS n FROM generate_series(1, 2000000) g"),
        connections_max=2,
        block=1024,
    )
    try:
        assert next(blocks).startswith(b"n\n1\n2\n")
        during = _backends()
    finally:
        blocks.close()

    assert during == before + 1
    assert _one("SELECT 41 + 1") == 42
    for _ in range(100):  # the closed connection's backend ends on its own
        if _backends() == before:
            break
        time.sleep(0.05)
    assert _backends() == before


@pytest.mark.django_db(transaction=True)
def test_a_later_piece_failing_raises_and_leaves_the_connection_usable():
    sql = "SELECT g AS n, 1 / (5000 - g) AS x FROM generate_series(1, 10000) g"
    blocks = copy_csv_parts(lambda cursor, most: _ranges(3000, sql=sql), connections_max=2, block=1024)

    with pytest.raises(DataError, match="division by zero"):
        for _ in blocks:
            pass

    assert _one("SELECT 41 + 1") == 42


@pytest.mark.django_db(transaction=True)
def test_when_the_server_refuses_another_connection_the_pieces_run_one_after_the_other(monkeypatch):
    made = []

    def second_refused(*args, **kwargs):
        if made:
            raise psycopg.OperationalError("sorry, too many clients already")
        made.append(opened(*args, **kwargs))
        return made[-1]

    opened = copy_out._helper
    monkeypatch.setattr(copy_out, "_helper", second_refused)
    whole = b"".join(copy_csv("SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 3000) g", []))

    out = b"".join(copy_csv_parts(lambda cursor, most: _ranges(700, 2100), connections_max=3, block=256))

    assert out == whole
    assert made[0].closed  # the one it had is given back
    assert _one("SELECT 41 + 1") == 42
