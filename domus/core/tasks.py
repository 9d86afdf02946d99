"""Core background jobs."""

from typing import Any

from celery import shared_task
from django.utils.module_loading import import_string


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_event(handler_path: str, event: str, payload: dict[str, Any]) -> None:
    """Run one subscriber of a domain event."""
    import_string(handler_path)(event=event, payload=payload)
