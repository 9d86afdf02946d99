"""Shapes of ``performance/runtime`` and ``performance/celery``."""

from ninja import Field, Schema


class RouteStats(Schema):
    method: str
    route: str = Field(..., description="The URL template (ids never appear), `unmatched` or `other`.")
    requests: int = Field(..., ge=0)
    per_second: float = Field(..., ge=0, description="Requests per second since counting started.")
    errors: int = Field(..., ge=0, description="5xx answers.")
    error_rate: float = Field(..., ge=0, le=1, description="5xx / requests.")
    client_error_rate: float = Field(..., ge=0, le=1, description="4xx / requests.")
    p50_ms: float | None = Field(..., description="Estimated from the latency histogram's buckets.")
    p95_ms: float | None
    p99_ms: float | None


class WorkerBeat(Schema):
    kind: str = Field(..., description="web or celery")
    pid: str
    last_seen: float = Field(..., description="Unix time of its last request or task.")
    seconds_ago: float
    alive: bool = Field(..., description="Seen within the last 120 seconds.")


class RuntimeOut(Schema):
    since: float = Field(..., description="Unix time counting started (the first worker's start).")
    uptime_seconds: float
    multiprocess: bool = Field(..., description="Every worker process counted (PROMETHEUS_MULTIPROC_DIR set).")
    requests: int = Field(..., ge=0)
    per_second: float = Field(..., ge=0)
    error_rate: float = Field(..., ge=0, le=1)
    routes: list[RouteStats]
    workers: list[WorkerBeat]


class QueueDepth(Schema):
    name: str
    depth: int | None = Field(..., description="Messages waiting (null: the broker cannot be read).")


class CeleryWorker(Schema):
    name: str
    ok: bool


class TaskStats(Schema):
    task: str
    succeeded: int = Field(..., ge=0)
    failed: int = Field(..., ge=0)
    retried: int = Field(..., ge=0)
    per_minute: float = Field(..., ge=0)
    failure_rate: float = Field(..., ge=0, le=1)
    mean_ms: float | None


class CeleryOut(Schema):
    eager: bool = Field(..., description="Jobs run in the web process (no broker, no workers).")
    queues: list[QueueDepth]
    workers: list[CeleryWorker]
    workers_online: int = Field(..., ge=0)
    tasks: list[TaskStats]
    succeeded: int = Field(..., ge=0)
    failed: int = Field(..., ge=0)
