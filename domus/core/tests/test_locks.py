"""``after_locks``: a read that follows its advisory locks within one statement and still
sees what the locks' previous holder committed."""

import threading

import pytest
from django.db import connection, connections, transaction

from domus.core.locks import after_locks
from domus.core.tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KEY = 7_312_004_118_221


def _read_after(keys: list[int], sql: str, params: list) -> str | None:
    expression, bound = after_locks(keys, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", bound)
        return cursor.fetchone()[0]


def _lock_is_free(key: int) -> bool:
    """Whether another connection could take the lock now (it lets go at once)."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            free = cursor.fetchone()[0]
            if free:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return free
    finally:
        other.close()


def test_it_answers_the_first_value_as_text_and_null_for_no_row():
    assert _read_after([KEY], "SELECT %s::int * 2 UNION ALL SELECT 0", [21]) == "42"
    assert _read_after([KEY], "SELECT 1 WHERE %s", [False]) is None
    assert _read_after([], "SELECT %s", ["it's 100%"]) == "it's 100%"  # quotes and percents bound safely


def test_the_locks_last_until_commit():
    with transaction.atomic():
        _read_after([KEY, KEY + 1], "SELECT 1", [])
        assert not _lock_is_free(KEY)
        assert not _lock_is_free(KEY + 1)
    assert _lock_is_free(KEY)
    assert _lock_is_free(KEY + 1)


def test_the_read_sees_what_the_locks_holder_committed_while_it_waited():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS test_after_locks (value int)")
        cursor.execute("TRUNCATE test_after_locks")
    holder_has_lock, reader_started = threading.Event(), threading.Event()
    answers: list[str | None] = []

    def holder() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [KEY])
                holder_has_lock.set()
                reader_started.wait(10)
                cursor.execute("SELECT pg_sleep(0.3)")  # the reader is waiting for the lock now
                cursor.execute("INSERT INTO test_after_locks VALUES (1)")
        finally:
            connection.close()

    def reader() -> None:
        try:
            holder_has_lock.wait(10)
            reader_started.set()
            with transaction.atomic():
                answers.append(_read_after([KEY], "SELECT count(*) FROM test_after_locks", []))
        finally:
            connection.close()

    run_together(holder, reader)
    try:
        assert answers == ["1"]  # a snapshot from the statement's start would say 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE test_after_locks")


# write_after_locks: the write that follows the read, with the answered UUID put in ------------


@pytest.fixture
def scratch():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE write_after_locks_scratch (agent uuid, changes jsonb)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE write_after_locks_scratch")


def _write(answer: str, changes: dict, placeholder, null_member: str = "") -> tuple[str | None, list]:
    import json

    from domus.core.locks import write_after_locks

    answered = write_after_locks(
        [KEY],
        ("SELECT %s", [answer]),
        ("INSERT INTO write_after_locks_scratch VALUES (%s, %s::jsonb)", [placeholder, json.dumps(changes)]),
        placeholder,
        null_member,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT agent, changes FROM write_after_locks_scratch")
        rows = [(agent, json.loads(changes)) for agent, changes in cursor.fetchall()]
        cursor.execute("DELETE FROM write_after_locks_scratch")
    return answered, rows


def test_the_answered_uuid_replaces_the_placeholder_as_a_value_and_as_a_json_string(scratch):
    import uuid

    placeholder, agent = uuid.uuid4(), uuid.uuid4()
    changes = {"a": 1, "agent": {"before": None, "after": str(placeholder)}, "note": f"it's 100% {placeholder}!"}

    answered, rows = _write(f"a:{agent}", changes, placeholder)

    assert answered == f"a:{agent}"
    # Only a JSON string that is the placeholder is replaced, not one that holds it.
    assert rows == [(agent, {**changes, "agent": {"before": None, "after": str(agent)}})]
    assert _lock_is_free(KEY)  # autocommit: the statement's locks ended with it


@pytest.mark.parametrize("position", ["only", "first", "middle", "last"])
def test_no_uuid_answered_takes_the_member_out_and_writes_null(scratch, position):
    import json
    import uuid

    placeholder = uuid.uuid4()
    member = {"agent": {"before": None, "after": str(placeholder)}}
    others = {"only": ([], []), "first": ([], ["z"]), "middle": (["a"], ["z"]), "last": (["a", "b"], [])}[position]
    changes = {**{k: k for k in others[0]}, **member, **{k: k for k in others[1]}}
    null_member = json.dumps(member)[1:-1]

    answered, rows = _write("a:", changes, placeholder, null_member)

    assert answered == "a:"
    assert rows == [(None, {k: k for k in others[0] + others[1]})]


def test_a_duplicate_answer_writes_nothing(scratch):
    import uuid

    placeholder = uuid.uuid4()
    answered, rows = _write("d:elsewhere", {"agent": str(placeholder)}, placeholder)

    assert (answered, rows) == ("d:elsewhere", [])
