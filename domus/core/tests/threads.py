"""Races on real connections, for the PostgreSQL concurrency tests."""

import threading
import time
from collections.abc import Callable

from django.db import connection, transaction


def race[T](count: int, work: Callable[[int], T], *, timeout: float = 60) -> list[T]:
    """Run ``work(0)`` .. ``work(count - 1)`` at the same moment, each in a thread with its
    own database connection; answer their results in that order. A call that raised
    raises here once every thread has ended, so a race never hides an error."""
    start = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    assert len(results) == count, f"{count - len(results)} of {count} calls did not end within {timeout} s"
    return [results[index] for index in range(count)]


def run_together(*targets: Callable[[], None], timeout: float = 30) -> None:
    """Start each target in a thread of its own, in order, and wait for all of them (each
    target coordinates with the others itself and closes its connection)."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)


def second_waits_for_first[T](
    check: Callable[[], object], write: Callable[[], object], second: Callable[[], T], *, timeout: float = 10
) -> tuple[object, bool, T]:
    """In one transaction run ``check`` then, once ``second`` (started meanwhile in a thread
    of its own) has ended or waits for a lock, ``write``, and commit. Answers what ``write``
    answered, whether ``second`` was still waiting when ``write`` ran, and what ``second``
    answered: a guard that holds the first's lock from its check to its commit makes the
    second wait, then see the first's write. PostgreSQL only (it watches ``pg_locks``)."""
    checked, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}
    errors: list[BaseException] = []

    def first() -> None:
        with transaction.atomic():
            check()
            checked.set()
            release.wait(timeout=timeout)
            outcome["first"] = write()

    def run_second() -> None:
        checked.wait(timeout=timeout)
        outcome["second"] = second()

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        """``work`` in its thread: an error kept for the caller, its connection closed."""

        def run() -> None:
            try:
                work()
            except BaseException as error:
                errors.append(error)
            finally:
                checked.set()  # a first that failed before its check lets the others go
                connection.close()

        return run

    def let_go() -> None:
        try:
            checked.wait(timeout=timeout)
            deadline = time.monotonic() + timeout
            while "second" not in outcome and not _someone_waits_for_a_lock() and time.monotonic() < deadline:
                time.sleep(0.02)
            outcome["second_waited"] = "second" not in outcome
        finally:
            release.set()
            connection.close()

    run_together(guarded(first), guarded(run_second), let_go, timeout=3 * timeout)
    if errors:
        raise errors[0]
    return outcome["first"], bool(outcome["second_waited"]), outcome["second"]  # type: ignore[return-value]


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)")
        return cursor.fetchone()[0]
