"""Core background jobs."""

import logging
from typing import Any

from celery import shared_task

from domus.core.events import run_subscriber

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_event(handler_path: str, event: str, payload: dict[str, Any], event_id: str | None = None) -> None:
    """Run one subscriber of a domain event (a retry or a redelivery keeps its id)."""
    run_subscriber(handler_path, event=event, payload=payload, event_id=event_id)


@shared_task
def deliver_events(handler_paths: list[str], event: str, payload: dict[str, Any], event_id: str | None = None) -> None:
    """Run every subscriber of one domain event (the event's one message). Each runs once;
    one that fails is handed to a ``deliver_event`` job of its own, which retries it
    alone, after the others have run."""
    failed = []
    for handler_path in handler_paths:
        try:
            run_subscriber(handler_path, event=event, payload=payload, event_id=event_id)
        except Exception:
            logger.warning("subscriber %s of %s failed; retried by its own job", handler_path, event, exc_info=True)
            failed.append(handler_path)
    for handler_path in failed:
        deliver_event.delay(handler_path, event, payload, event_id)
