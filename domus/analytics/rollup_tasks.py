"""The roll-ups' jobs: refresh one company's partition after its events, rebuild them
all (the ``analytics_rollups`` command, the periodic schedule, the search reindex)."""

from uuid import UUID

from celery import shared_task
from django.core.cache import cache

from domus.analytics import rollups

PENDING_KEY = "analytics:rollups:pending:{}"


@shared_task(name="domus.analytics.rollups_refresh")
def rollups_refresh(company_id: str | None) -> int:
    """Recompute one company's roll-ups (``None``: the rows of no company)."""
    # Cleared before the recount: an event that arrives while it runs schedules another.
    cache.delete(PENDING_KEY.format(company_id))
    return rollups.rollup_refresh(company_ids=[UUID(company_id) if company_id else None])


@shared_task(name="domus.analytics.rollups_rebuild")
def rollups_rebuild() -> int:
    """Recompute every company's roll-ups from scratch; answers how many counters."""
    return rollups.rollup_rebuild()
