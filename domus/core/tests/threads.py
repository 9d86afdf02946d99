"""Races on real connections, for the PostgreSQL concurrency tests."""

import threading
from collections.abc import Callable

from django.db import connection


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
