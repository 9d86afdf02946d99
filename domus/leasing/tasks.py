"""Scheduled leasing jobs (Celery beat): thin wrappers around services."""

from celery import shared_task

from domus.leasing import services


@shared_task
def leases_end_expired() -> int:
    """End every active lease whose end date has passed and free its unit (beat: daily)."""
    return services.leases_end_expired()
