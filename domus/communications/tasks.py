"""Celery jobs of communications: thin wrappers around the services."""

import logging

from celery import shared_task

from domus.communications import services
from domus.integrations.messaging import SendFailed

MAX_RETRIES = 5
logger = logging.getLogger("domus.communications.tasks")


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def delivery_send(self, delivery_id: str) -> None:
    """Send one delivery; a retryable provider failure is retried with exponential backoff."""
    try:
        services.delivery_attempt(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)
    except SendFailed as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 3600)) from exc


@shared_task
def deliveries_send(delivery_ids: list[str]) -> None:
    """Send one batch of deliveries; each failure that may pass is retried on its own."""
    for delivery_id in delivery_ids:
        try:
            services.delivery_attempt(delivery_id=delivery_id)
        except SendFailed:
            try:
                delivery_send.apply_async((delivery_id,), countdown=30, retries=1)
            except Exception:  # eager mode runs the retries inline; their outcome is on the record
                logger.warning("delivery %s: retries exhausted", delivery_id)
