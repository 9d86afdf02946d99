"""Background jobs any app can start: a registry of job kinds (each a function run by a
Celery task), ``job_start`` to queue one, a ``Progress`` reporter the function uses, and
cancellation. Progress is saved and pushed to the starter's ``ml/stream`` socket at most
once per ``PUSH_INTERVAL`` seconds (and at every status change).

Register a kind once, at import time of the module that defines it::

    job_kind_register("reports.performance", run="domus.analytics.jobs:performance_pack_run")

``run`` is ``"module:function"``; the function takes ``(job, progress)`` and returns the
job's result (a JSON-able dict). It calls ``progress.set_total(n)`` and
``progress.advance(k)``; an advance raises ``JobCancelled`` once a cancel was asked. The
default Celery task is ``domus.ops.tasks.ops_job_run``; a kind may name another task
(its dotted path; same signature: the job id) to run on its own queue."""

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from domus.audit.services import audit_record
from domus.core.exceptions import Conflict, ValidationFailed
from domus.ops.models import FINISHED, Job, JobStatus

logger = logging.getLogger("domus.ops.jobs")

DEFAULT_TASK = "domus.ops.tasks.ops_job_run"
PUSH_INTERVAL = 1.0  # seconds between two progress frames of one job
MAX_ERRORS = 1000  # entries kept in Job.errors


class JobCancelled(Exception):
    """Raised by ``Progress.advance`` when the job was asked to stop."""


@dataclass(frozen=True)
class JobKind:
    kind: str
    run: str
    task: str = DEFAULT_TASK


JOB_KINDS: dict[str, JobKind] = {}


def job_kind_register(kind: str, *, run: str, task: str = DEFAULT_TASK) -> JobKind:
    """Declare a kind of job: ``run`` is the ``"module:function"`` that does the work."""
    spec = JobKind(kind=kind, run=run, task=task)
    JOB_KINDS[kind] = spec
    return spec


def _runner(spec: JobKind) -> Callable[[Job, "Progress"], dict[str, Any] | None]:
    module, _, name = spec.run.partition(":")
    return getattr(importlib.import_module(module), name)


def job_frame(job: Job) -> dict[str, Any]:
    """The ``ml/stream`` frame of a job (the shape the assistant's jobs use, plus status detail)."""
    return {
        "type": "job",
        "job_id": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "progress": job.done,
        "total": job.total,
    }


def _push(job: Job) -> None:
    if job.started_by_id is None:
        return
    from domus.assistant.services.index import ml_group
    from domus.communications import realtime

    realtime.send_now(ml_group(job.started_by_id), job_frame(job))


@transaction.atomic
def job_start(
    *,
    kind: str,
    actor: Any,
    params: dict[str, Any] | None = None,
    company_id: UUID | None = None,
) -> Job:
    """Queue a job of a registered ``kind`` for ``actor`` (audited); the Celery task is
    sent after commit (in the embedded default, with eager Celery, it runs right then)."""
    spec = JOB_KINDS.get(kind)
    if spec is None:
        raise ValidationFailed("Unknown job kind.", errors={"kind": [f"One of: {', '.join(sorted(JOB_KINDS))}."]})
    authenticated = getattr(actor, "is_authenticated", False)
    job = Job.objects.create(
        kind=kind, params=params or {}, started_by=actor if authenticated else None, company_id=company_id
    )
    audit_record(
        actor=actor,
        action="start",
        resource_type=job._meta.label_lower,
        resource_id=job.pk,
        changes={"kind": kind, "params": params or {}},
        company_id=company_id,
    )
    job_id = str(job.pk)

    def enqueue() -> None:
        module, _, name = spec.task.rpartition(".")
        getattr(importlib.import_module(module), name).delay(job_id)

    transaction.on_commit(enqueue)
    return job


class Progress:
    """What a job function reports through: totals, advances (saved and pushed, coalesced),
    error entries (kept up to ``MAX_ERRORS``)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._last = 0.0

    def set_total(self, total: int) -> None:
        self.job.total = max(total, 0)
        self._save(force=True)

    def advance(self, count: int = 1, *, done: int | None = None) -> None:
        self.job.done = done if done is not None else self.job.done + count
        if self.job.total and self.job.done > self.job.total:
            self.job.total = self.job.done
        self._save()

    def error(self, entry: dict[str, Any]) -> None:
        if len(self.job.errors) < MAX_ERRORS:
            self.job.errors.append(entry)

    def _save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PUSH_INTERVAL:
            return
        self._last = now
        Job.objects.filter(pk=self.job.pk).update(done=self.job.done, total=self.job.total, updated_at=timezone.now())
        if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCancelled
        _push(self.job)


def _finish(job: Job, status: str, **fields: Any) -> Job:
    Job.objects.filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), done=job.done, total=job.total, errors=job.errors, **fields
    )
    job.refresh_from_db()
    _push(job)
    return job


def job_run(*, job_id: UUID | str) -> Job | None:
    """Run a queued job (the Celery task calls this). A job already started, finished or
    cancelled is left alone (a redelivered task runs nothing twice)."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = Job.objects.select_related("started_by").get(pk=job_id)
    _push(job)
    progress = Progress(job)
    try:
        result = _runner(JOB_KINDS[job.kind])(job, progress)
    except JobCancelled:
        return _finish(job, JobStatus.CANCELLED)
    except Exception as exc:
        logger.exception("job failed", extra={"job_id": str(job.pk), "kind": job.kind})
        return _finish(job, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500])
    return _finish(job, JobStatus.SUCCEEDED, result=result or {})


@transaction.atomic
def job_cancel(*, actor: Any, job: Job) -> Job:
    """Cancel a queued job at once, or ask a running one to stop at its next progress
    report; 409 for a finished job."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status in FINISHED:
        raise Conflict(f"The job is {job.status}: it cannot be cancelled.", errors={"status": [job.status]})
    if job.status == JobStatus.QUEUED:
        job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
    job.cancel_requested = True
    job.save(update_fields=["status", "finished_at", "cancel_requested", "updated_at"])
    audit_record(
        actor=actor, action="cancel", resource_type=job._meta.label_lower, resource_id=job.pk, company_id=job.company_id
    )
    transaction.on_commit(lambda: _push(job))
    return job
