"""Prometheus metrics of the HTTP workers and the Celery workers.

Labels are bounded: a route is its URL template (``api/v1/properties/<id>/``), never a
path with ids, and at most ``METRICS_MAX_ROUTES`` of them are told apart (the rest are
``other``); methods are the standard ones; a status is its class (``2xx``..``5xx``); a
task is its registered name. Under several worker processes set
``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, the same for every process, emptied
before they start): each process writes its samples there and ``/metrics`` adds them up
(``prometheus_client``'s multiprocess mode), so the counts are the whole server's."""

import os
import threading
import time
from typing import Any

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.registry import REGISTRY

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, float("inf"))
UNMATCHED = "unmatched"
OTHER = "other"

REQUESTS = Counter("domus_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "domus_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
HEARTBEAT = Gauge(
    "domus_process_heartbeat_timestamp_seconds", "When a worker process last answered (Unix time)",
    ["kind"], multiprocess_mode="all",
)  # fmt: skip
STARTED = Gauge(
    "domus_metrics_started_timestamp_seconds", "When the first worker process started counting (Unix time)",
    multiprocess_mode="min",
)  # fmt: skip
TASKS = Counter("domus_celery_tasks", "Celery tasks run, by outcome", ["task", "state"])
TASK_DURATION = Histogram(
    "domus_celery_task_duration_seconds", "Time a Celery task ran", ["task"], buckets=LATENCY_BUCKETS
)
STARTED.set(time.time())

_routes: set[str] = set()
_routes_lock = threading.Lock()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def route_label(request: Any) -> str:
    """The URL template the request matched (``unmatched`` when none did), bounded."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    if not route:
        return UNMATCHED
    if route in _routes:
        return route
    with _routes_lock:
        if len(_routes) >= settings.METRICS_MAX_ROUTES:
            return OTHER
        _routes.add(route)
    return route


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else OTHER
    key = (method, route, status // 100)
    children = _request_children.get(key)
    if children is None:  # bounded: the routes are, the methods and status classes too
        children = _request_children[key] = (
            REQUESTS.labels(method, route, f"{status // 100}xx"),
            LATENCY.labels(method, route),
            HEARTBEAT.labels("web"),
        )
    children[0].inc()
    children[1].observe(seconds)
    children[2].set(time.time())


# Each label set's samples, looked up once (``labels()`` locks and hashes on every call).
_request_children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}


def observe_task(*, task: str, state: str, seconds: float | None = None) -> None:
    TASKS.labels(task, state).inc()
    if seconds is not None:
        TASK_DURATION.labels(task).observe(seconds)
    HEARTBEAT.labels("celery").set(time.time())


def registry() -> CollectorRegistry:
    """Every process's samples in multiprocess mode, else this process's."""
    if multiprocess_dir():
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return merged
    return REGISTRY


def exposition() -> bytes:
    return generate_latest(registry())


def samples(prefix: str = "domus_") -> list[Any]:
    """Every sample of Domus' own metrics, as ``prometheus_client`` collects them."""
    return [s for family in registry().collect() if family.name.startswith(prefix) for s in family.samples]
