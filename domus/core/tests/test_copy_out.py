"""``copy_csv``: a query's rows as ``COPY``'s CSV in blocks, the connection left usable
whether the reader takes everything, stops early or the query fails halfway."""

import pytest
from django.db import DataError, connection

from domus.core.copy_out import copy_csv

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
