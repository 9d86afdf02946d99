"""``performance/runtime`` and ``performance/celery``: what the metrics say, for people.

Latency percentiles per route are estimated from the histogram's buckets (linear within
a bucket, as Prometheus' ``histogram_quantile``); throughput is requests per second since
the first worker started counting. Celery: queue depth from the broker (Redis list
lengths), workers from a ping (with a short timeout), task counts by outcome from the
workers' own metrics."""

import os
import time
from collections import defaultdict
from typing import Any

from django.conf import settings

from domus.ops import metrics

HEARTBEAT_STALE_SECONDS = 120


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile from cumulative ``(upper_bound, count)`` buckets, in seconds."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank, lower, below = q * buckets[-1][1], 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 2) if seconds is not None else None


def runtime() -> dict[str, Any]:
    now = time.time()
    counts: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    buckets: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))
    started, beats = now, []
    for sample in metrics.samples():
        labels = sample.labels
        if sample.name == "domus_http_requests_total":
            counts[(labels["method"], labels["route"])][labels["status"]] += sample.value
        elif sample.name == "domus_http_request_duration_seconds_bucket":
            buckets[(labels["method"], labels["route"])][float(labels["le"])] += sample.value
        elif sample.name == "domus_metrics_started_timestamp_seconds" and sample.value:
            started = min(started, sample.value)
        elif sample.name == "domus_process_heartbeat_timestamp_seconds":
            beats.append((labels.get("kind", ""), labels.get("pid", str(os.getpid())), sample.value))
    uptime = max(now - started, 1e-9)
    routes = []
    for key in sorted(counts, key=lambda k: (k[1], k[0])):
        by_status = counts[key]
        total = sum(by_status.values())
        cumulative = sorted(buckets[key].items())
        routes.append(
            {
                "method": key[0],
                "route": key[1],
                "requests": int(total),
                "per_second": round(total / uptime, 3),
                "errors": int(by_status.get("5xx", 0)),
                "error_rate": round(by_status.get("5xx", 0) / total, 4) if total else 0.0,
                "client_error_rate": round(by_status.get("4xx", 0) / total, 4) if total else 0.0,
                "p50_ms": _ms(quantile(0.5, cumulative)),
                "p95_ms": _ms(quantile(0.95, cumulative)),
                "p99_ms": _ms(quantile(0.99, cumulative)),
            }
        )
    total = sum(r["requests"] for r in routes)
    errors = sum(r["errors"] for r in routes)
    return {
        "since": started,
        "uptime_seconds": round(uptime, 1),
        "multiprocess": metrics.multiprocess_dir() is not None,
        "requests": total,
        "per_second": round(total / uptime, 3),
        "error_rate": round(errors / total, 4) if total else 0.0,
        "routes": routes,
        "workers": [
            {
                "kind": kind,
                "pid": pid,
                "last_seen": beat,
                "seconds_ago": round(now - beat, 1),
                "alive": now - beat <= HEARTBEAT_STALE_SECONDS,
            }
            for kind, pid, beat in sorted(beats, key=lambda b: (b[0], b[1]))
            if beat
        ],
    }


def _queue_depths() -> dict[str, int | None]:
    """Messages waiting per queue (Redis brokers; ``None`` where it cannot be read)."""
    queues = list(settings.METRICS_CELERY_QUEUES)
    broker = settings.CELERY_BROKER_URL or ""
    if not broker.startswith(("redis://", "rediss://")):
        return dict.fromkeys(queues)
    import redis

    try:
        client = redis.Redis.from_url(broker, socket_timeout=1, socket_connect_timeout=1)
        pipe = client.pipeline()
        for queue in queues:
            pipe.llen(queue)
        return dict(zip(queues, pipe.execute(), strict=True))
    except redis.RedisError:
        return dict.fromkeys(queues)


def _workers() -> list[dict[str, Any]]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return []
    from domus.celery import app

    try:
        replies = app.control.ping(timeout=settings.METRICS_CELERY_PING_SECONDS) or []
    except Exception:  # the broker is down: no worker answers
        return []
    return [{"name": name, "ok": reply.get("ok") == "pong"} for entry in replies for name, reply in entry.items()]


def celery() -> dict[str, Any]:
    tasks: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    durations: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for sample in metrics.samples("domus_celery_"):
        if sample.name == "domus_celery_tasks_total":
            tasks[sample.labels["task"]][sample.labels["state"]] += sample.value
        elif sample.name in ("domus_celery_task_duration_seconds_sum", "domus_celery_task_duration_seconds_count"):
            durations[sample.labels["task"]][sample.name.rsplit("_", 1)[1]] += sample.value
    starts = [s.value for s in metrics.samples("domus_metrics_started") if s.value]
    uptime = max(time.time() - min(starts, default=time.time()), 1e-9)
    rows = []
    for task in sorted(tasks):
        states = tasks[task]
        run = states.get("succeeded", 0) + states.get("failed", 0)
        spent = durations[task]
        rows.append(
            {
                "task": task,
                "succeeded": int(states.get("succeeded", 0)),
                "failed": int(states.get("failed", 0)),
                "retried": int(states.get("retried", 0)),
                "per_minute": round(run / uptime * 60, 3),
                "failure_rate": round(states.get("failed", 0) / run, 4) if run else 0.0,
                "mean_ms": _ms(spent["sum"] / spent["count"]) if spent.get("count") else None,
            }
        )
    workers = _workers()
    return {
        "eager": bool(settings.CELERY_TASK_ALWAYS_EAGER),
        "queues": [{"name": name, "depth": depth} for name, depth in _queue_depths().items()],
        "workers": workers,
        "workers_online": sum(1 for w in workers if w["ok"]),
        "tasks": rows,
        "succeeded": sum(r["succeeded"] for r in rows),
        "failed": sum(r["failed"] for r in rows),
    }
