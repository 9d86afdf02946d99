"""Scheduled sales jobs: thin wrappers around services."""

from celery import shared_task

from domus.sales import services


@shared_task
def offers_expire() -> int:
    """Expire pending offers past their expiry (beat: every 5 minutes)."""
    return services.offers_expire()
