"""The beat schedule: every job names a task that exists, and in the embedded default
(no broker) the beat that ``make run`` starts in its ASGI process runs a due job there."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from domus.celery import app, embedded_beat
from domus.organizations.tests.factories import CompanyFactory
from domus.properties.tests.factories import ListingFactory
from domus.sales.models import OfferStatus
from domus.sales.tests.factories import OfferFactory


@pytest.mark.django_db
def test_every_scheduled_job_is_a_registered_task(tmp_path):
    embedded_beat(str(tmp_path / "schedule"))  # imports the apps' task modules

    unknown = {name: job["task"] for name, job in settings.CELERY_BEAT_SCHEDULE.items() if job["task"] not in app.tasks}

    assert settings.CELERY_BEAT_SCHEDULE
    assert unknown == {}


@pytest.mark.django_db
def test_the_embedded_beat_runs_a_due_job_in_this_process(tmp_path):
    listing = ListingFactory(company=CompanyFactory())
    stale = OfferFactory(listing=listing, expires_at=timezone.now() - timedelta(minutes=1))
    fresh = OfferFactory(listing=listing, expires_at=timezone.now() + timedelta(days=1))
    scheduler = embedded_beat(str(tmp_path / "schedule")).service.scheduler

    scheduler.apply_async(scheduler.schedule["sales-offers-expire"])

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (OfferStatus.EXPIRED, OfferStatus.PENDING)


def test_celery_reads_the_django_settings_and_follows_a_change(settings):
    """Celery's configuration is a plain copy of the ``CELERY_`` settings (cheaper to look
    up per message), read again when one changes."""
    assert app.conf.task_serializer == settings.CELERY_TASK_SERIALIZER == "json"
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE

    settings.CELERY_TASK_ALWAYS_EAGER = not settings.CELERY_TASK_ALWAYS_EAGER
    settings.CELERY_BROKER_URL = "memory://changed"

    assert app.conf.task_always_eager == settings.CELERY_TASK_ALWAYS_EAGER
    assert app.conf.broker_url == "memory://changed"
