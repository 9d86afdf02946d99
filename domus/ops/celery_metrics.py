"""Celery signals counted into ``domus.ops.metrics``: each task's outcome and run time
(in the worker process that ran it; with ``PROMETHEUS_MULTIPROC_DIR`` shared with the
web workers, ``/metrics`` and ``performance/celery`` see them)."""

import time
from typing import Any

from celery import signals

from domus.ops import metrics

_started: dict[str, float] = {}


def _name(sender: Any) -> str:
    return getattr(sender, "name", None) or "unknown"


@signals.task_prerun.connect
def _prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _spent(task_id: str | None) -> float | None:
    began = _started.pop(task_id, None) if task_id else None
    return time.perf_counter() - began if began is not None else None


@signals.task_success.connect
def _success(sender: Any = None, **_: Any) -> None:
    request = getattr(sender, "request", None)
    metrics.observe_task(task=_name(sender), state="succeeded", seconds=_spent(getattr(request, "id", None)))


@signals.task_failure.connect
def _failure(sender: Any = None, task_id: str | None = None, **_: Any) -> None:
    metrics.observe_task(task=_name(sender), state="failed", seconds=_spent(task_id))


@signals.task_retry.connect
def _retry(sender: Any = None, request: Any = None, **_: Any) -> None:
    metrics.observe_task(task=_name(sender), state="retried", seconds=_spent(getattr(request, "id", None)))
