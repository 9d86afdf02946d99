"""Background report work (Celery): thin wrappers around the report services.

``performance_pack_deliver`` queues a performance pack as a ``reports.performance`` job
of the user who asked for it (``domus.analytics.reports.jobs``: built, stored, e-mailed,
with its progress, result and errors on the job row). ``seller_packs_weekly`` (beat: Mondays)
sends every owner with listings on the market their weekly seller pack."""

from datetime import date
from typing import Any
from uuid import UUID

from celery import shared_task
from django.utils import timezone

from domus.accounts import selectors as accounts
from domus.analytics.reports import jobs, seller


@shared_task
def performance_pack_deliver(actor_id: str, start: str, end: str, scope: dict[str, Any]) -> dict[str, str]:
    """Queue a performance pack as a ``reports.performance`` job of the user (its row in
    ``/api/v1/ops/jobs/`` carries the progress, the stored PDF and the pack)."""
    actor = accounts.active_user(UUID(actor_id))
    if actor is None:
        return {"status": "skipped", "reason": "The user is gone or inactive."}
    job = jobs.performance_pack_start(
        actor=actor, start=date.fromisoformat(start), end=date.fromisoformat(end), scope=scope
    )
    return {"status": "queued", "job_id": str(job.pk)}


@shared_task
def seller_packs_weekly() -> int:
    """E-mail every owner with listings on the market their weekly seller pack (beat)."""
    return seller.seller_packs_send(today=timezone.now().date())
