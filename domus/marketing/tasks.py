"""Celery jobs of marketing: thin wrappers around the services."""

import logging
from uuid import UUID

from celery import shared_task

from domus.marketing import services

logger = logging.getLogger("domus.marketing.tasks")


@shared_task(acks_late=True)
def campaign_run(campaign_id: str) -> int:
    """The launch workflow of one campaign (fan-out, then the batches due now)."""
    return services.campaign_run(campaign_id=UUID(campaign_id))


@shared_task(acks_late=True)
def enrolments_advance(enrolment_ids: list[str]) -> None:
    for enrolment_id in enrolment_ids:
        services.enrolment_advance(enrolment_id=UUID(enrolment_id))


@shared_task
def marketing_tick() -> dict[str, int]:
    """Beat (every minute): scheduled campaigns due, due campaign batches, sequence steps, social posts."""
    return {
        "campaigns_started": services.campaigns_start_scheduled(),
        "campaign_batches": services.campaigns_dispatch_due(),
        "enrolments": services.enrolments_advance_due(),
        "social_posts": services.social_posts_publish_due(),
    }


@shared_task
def segments_rebuild() -> int:
    """Beat (nightly): rebuild every segment (rules on last activity move with time)."""
    return services.segments_rebuild_all()
