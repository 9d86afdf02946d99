"""Domain events that change dashboard numbers schedule a refresh of their company's
roll-ups, at most one per company within ``ANALYTICS_ROLLUP_DEBOUNCE_SECONDS`` (a burst
of events is one recount, run after the burst's first event plus the delay)."""

from typing import Any

from django.conf import settings
from django.core.cache import cache

from domus.analytics.rollup_tasks import PENDING_KEY, rollups_refresh
from domus.core.events import subscribe

ROLLUP_EVENTS = (
    "listing.created",
    "listing.status_changed",
    "lead.captured",
    "lead.changed",
    "deal.created",
    "deal.status_changed",
    "offer.accepted",
    "contract.signed",
    "commission.approved",
    "payment.received",
    "payment.failed",
)


def refresh_rollups(*, event: str, payload: dict[str, Any]) -> None:
    company_id = payload.get("company_id") or None
    delay = settings.ANALYTICS_ROLLUP_DEBOUNCE_SECONDS
    if settings.CELERY_TASK_ALWAYS_EAGER or delay <= 0:
        rollups_refresh(company_id)
    elif cache.add(PENDING_KEY.format(company_id), 1, timeout=delay + 60):
        rollups_refresh.apply_async((company_id,), countdown=delay)


for _event in ROLLUP_EVENTS:
    subscribe(_event)(refresh_rollups)
