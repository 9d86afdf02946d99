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


@shared_task(acks_late=True)
def deliveries_send(delivery_ids: list[str]) -> None:
    """Send one batch of deliveries; each failure that may pass is retried on its own."""
    for delivery_id in delivery_ids:
        try:
            services.delivery_attempt(delivery_id=delivery_id)
        except SendFailed:
            try:
                delivery_send.apply_async((delivery_id,), countdown=30, retries=1)
            except Exception:
                # Eager Celery (the embedded default) cannot wait for a countdown: the
                # delivery stays queued, with its error recorded, for the stale-delivery job.
                logger.warning("delivery %s: not sent now; left queued for a later attempt", delivery_id)


@shared_task
def deliveries_requeue_stale() -> int:
    """Beat job: send again the deliveries stuck in queued/sending (a lost task, a worker
    that died mid-send)."""
    requeued = services.deliveries_requeue_stale()
    if requeued:
        logger.warning("requeued %d stale deliveries", len(requeued))
    return len(requeued)
