"""Health checks: a liveness answer that touches nothing, a readiness verdict on the
database and cache, and a detailed report that probes each backing service (database,
cache, Celery broker, storage)."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from uuid import uuid4

from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

from domus.celery import app as celery_app

logger = logging.getLogger("domus.health")

VERSION = version("domus")
OK, DOWN = "ok", "down"
BROKER_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str
    latency_ms: float
    detail: str


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_cache() -> str:
    cache = caches["default"]
    key = f"health:{uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return the value just set")
    finally:
        cache.delete(key)
    return type(cache).__name__


def check_broker() -> str:
    if celery_app.conf.task_always_eager:
        return "in-process (eager)"
    with celery_app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
        port = f":{conn.port}" if conn.port else ""
        return f"{conn.transport_cls}://{conn.hostname}{port}"


def check_storage() -> str:
    storage = storages["default"]
    name = storage.save(f"health/{uuid4().hex}.txt", ContentFile(b"ok"))
    storage.delete(name)
    return type(storage).__name__


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one probe; any failure makes it ``down`` with the error as its detail."""
    started = time.perf_counter()
    try:
        detail, status = check(), OK
    except Exception as exc:
        detail, status = f"{type(exc).__name__}: {exc}"[:300], DOWN
        logger.warning("health check failed", extra={"check": name, "error": detail})
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckResult(name=name, status=status, latency_ms=latency, detail=detail)


def liveness() -> dict:
    """The process answers; nothing else is touched."""
    return {"status": OK, "version": VERSION, "time": timezone.now()}


READY_CHECKS = ("database", "cache")


def ready() -> bool:
    """Whether the services every request needs (database, cache) answer."""
    return all(run_check(name, CHECKS[name]).status == OK for name in READY_CHECKS)


def readiness() -> dict:
    """Every probe's result; ``status`` is ``ok`` only when all of them are."""
    checks = [run_check(name, check) for name, check in CHECKS.items()]
    status = OK if all(check.status == OK for check in checks) else DOWN
    return {"status": status, "version": VERSION, "time": timezone.now(), "checks": checks}
