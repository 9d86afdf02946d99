"""Scheduled maintenance jobs (Celery beat): thin wrappers around services."""

from celery import shared_task

from domus.maintenance import services


@shared_task
def preventive_generate() -> int:
    """Open the preventive work orders falling due within their lead days, each once, and
    send the reminders due (beat: hourly)."""
    return services.preventive_generate()


@shared_task
def sla_alerts() -> int:
    """Alert the desk and assignees of jobs near or past their resolution deadline (beat: every 10 minutes)."""
    return services.sla_alerts_send()
