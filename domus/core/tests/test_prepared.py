"""``statement_text``: the reads PL/pgSQL runs after advisory locks, prepared once per
connection and run by name, answer what the same SQL with its values written in does."""

import datetime
import ipaddress
import re
from decimal import Decimal
from uuid import UUID

import pytest
from django.db import connection
from django.test import override_settings
from psycopg.types.json import Jsonb

from domus.core.locks import after_locks
from domus.core.prepared import statement_text
from domus.core.tests.sessions import prepared_statements

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VALUES = [
    ("SELECT %s::uuid", UUID("0195d3a4-9b1c-7d2e-8f00-0123456789ab")),
    ("SELECT %s::text", "it's 100% 'quoted' \\ text"),
    ("SELECT %s::timestamptz", datetime.datetime(2026, 12, 7, 14, 5, 6, 789, tzinfo=datetime.UTC)),
    ("SELECT %s::date", datetime.date(2026, 2, 28)),
    ("SELECT %s::int * 2", 21),
    ("SELECT %s::numeric + 0.5", Decimal("1.25")),
    ("SELECT NOT %s", True),
    ("SELECT COALESCE(%s, 'none')", None),
    ("SELECT %s::text || '%%'", "50"),
    ("SELECT %s::inet", ipaddress.ip_address("192.0.2.7")),
    ("SELECT %s::jsonb -> 'a'", Jsonb({"a": [1, "it's"]})),
]


def _after_locks(sql: str, params: list) -> str | None:
    expression, bound = after_locks([], sql, params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", bound)
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("sql", "value"), VALUES)
def test_a_prepared_read_answers_what_the_sql_with_its_values_does(sql, value):
    with override_settings(DATABASE_PREPARED_STATEMENTS=False):
        written_in = statement_text(sql, [value])
        expected = _after_locks(sql, [value])
    assert written_in.startswith("SELECT ")
    call = statement_text(sql, [value])
    assert call.startswith("EXECUTE domus_")
    assert _after_locks(sql, [value]) == expected
    assert _after_locks(sql, [value]) == expected  # run again by name: prepared once


def test_each_shape_is_prepared_once_a_connection_and_again_on_a_new_one():
    connection.close()
    before = prepared_statements()
    for value in range(7):
        assert _after_locks("SELECT %s::int + 1", [value]) == str(value + 1)
    assert _after_locks("SELECT %s::int + 1", ["8"]) == "9"  # text: another parameter type, another statement
    added = {name: row for name, row in prepared_statements().items() if name not in before}
    assert sorted(re.sub(r"domus_\w+", "domus_...", sql) for sql, _, _ in added.values()) == [
        "PREPARE domus_... (bigint) AS SELECT $1::int + 1",
        "PREPARE domus_... (unknown) AS SELECT $1::int + 1",
    ]
    runs = sorted(generic + custom for _, generic, custom in added.values())
    assert runs == [1, 7]

    connection.close()  # a new server session knows none of them: prepared again
    assert _after_locks("SELECT %s::int + 1", [1]) == "2"
    assert len(prepared_statements()) == 1


def test_with_prepared_statements_off_nothing_is_prepared():
    connection.close()
    with override_settings(DATABASE_PREPARED_STATEMENTS=False):
        assert _after_locks("SELECT %s::int + 1", [1]) == "2"
        assert statement_text("SELECT %s::int + 1", [1]) == "SELECT 1::int + 1"
    assert prepared_statements() == {}
