"""Scheduled CRM jobs: thin wrappers around services."""

from celery import shared_task

from domus.crm import services


@shared_task
def leads_rescore() -> int:
    """Recompute scores whose recency has decayed (beat: nightly)."""
    return services.leads_rescore_stale()
