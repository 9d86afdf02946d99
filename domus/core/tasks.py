"""Core background jobs."""

from typing import Any

from celery import shared_task

from domus.core.events import run_subscriber


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_event(handler_path: str, event: str, payload: dict[str, Any], event_id: str | None = None) -> None:
    """Run one subscriber of a domain event (a retry or a redelivery keeps its id)."""
    run_subscriber(handler_path, event=event, payload=payload, event_id=event_id)
