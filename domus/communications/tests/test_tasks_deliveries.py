"""The Celery send jobs (eager in tests) with the providers faked at the HTTP boundary:
retries with backoff, the final failure, the claim that stops a double send, and the
beat job that picks up stuck deliveries."""

from datetime import timedelta

import httpx
import pytest
import respx
from celery.exceptions import Retry
from django.utils import timezone

from domus.communications import tasks
from domus.communications.models import Delivery
from domus.communications.services import delivery_attempt

TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


@pytest.fixture
def twilio(settings):
    settings.MESSAGING_OUTBOX = False
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "t", "+1555"


@pytest.fixture
def broker(monkeypatch):
    """A fake broker: ``delivery_send.apply_async`` queues the job; ``run()`` works the
    queue like a worker (a ``Retry`` puts the job back with ``retries + 1``) and answers
    the countdowns the retries asked for."""
    queue: list[tuple[tuple, int]] = []
    monkeypatch.setattr(
        tasks.delivery_send, "apply_async", lambda args, countdown=None, retries=0, **kw: queue.append((args, retries))
    )

    def run() -> list[int]:
        countdowns = []
        while queue:
            args, retries = queue.pop(0)
            try:
                tasks.delivery_send.apply(args, retries=retries, throw=True)
            except Retry as retry:
                countdowns.append(int(retry.when))
                queue.append((args, retries + 1))
        return countdowns

    return run


def _queued(**fields) -> Delivery:
    return Delivery.objects.create(channel="sms", address="+254700000001", body="Hi", **fields)


@respx.mock
def test_an_outage_is_retried_with_exponential_backoff_then_fails_for_good(db, twilio, broker):
    route = respx.post(TWILIO).mock(return_value=httpx.Response(503, json={"message": "down"}))
    delivery = _queued()

    tasks.deliveries_send.delay([str(delivery.id)])
    countdowns = broker()

    delivery.refresh_from_db()
    # The batch's attempt, then one per retry up to MAX_RETRIES; the last one is final.
    assert route.call_count == 1 + tasks.MAX_RETRIES
    assert (delivery.status, delivery.attempts, delivery.error) == (
        "failed",
        1 + tasks.MAX_RETRIES,
        "Provider answered 503: down",
    )
    assert countdowns == [60, 120, 240, 480]


@respx.mock
def test_a_retry_that_succeeds_sends_once(db, twilio, broker):
    route = respx.post(TWILIO).mock(
        side_effect=[httpx.Response(500), httpx.Response(429), httpx.Response(201, json={"sid": "SM9"})]
    )
    delivery = _queued()

    tasks.deliveries_send.delay([str(delivery.id)])
    assert broker() == [60]

    delivery.refresh_from_db()
    assert route.call_count == 3
    assert (delivery.status, delivery.provider_message_id, delivery.attempts, delivery.error) == ("sent", "SM9", 3, "")


@respx.mock
def test_a_rejected_number_fails_at_once(db, twilio):
    route = respx.post(TWILIO).mock(return_value=httpx.Response(400, json={"message": "Invalid 'To'"}))
    delivery = _queued()

    tasks.deliveries_send.delay([str(delivery.id)])

    delivery.refresh_from_db()
    assert (route.call_count, delivery.status, delivery.attempts) == (1, "failed", 1)


@respx.mock
def test_a_delivery_is_claimed_before_the_provider_is_called(db, twilio):
    delivery = _queued()
    seen: list[str] = []

    def provider(request):
        seen.append(Delivery.objects.get(pk=delivery.pk).status)
        # A redelivered task arriving now finds the delivery claimed and sends nothing.
        seen.append(repr(delivery_attempt(delivery_id=delivery.pk)))
        return httpx.Response(201, json={"sid": "SM1"})

    route = respx.post(TWILIO).mock(side_effect=provider)

    tasks.delivery_send.delay(str(delivery.id))
    tasks.delivery_send.delay(str(delivery.id))  # a duplicate after the send: nothing to do

    delivery.refresh_from_db()
    assert seen == ["sending", "None"]
    assert (route.call_count, delivery.status, delivery.attempts) == (1, "sent", 1)


def test_an_email_header_error_is_a_final_failure(db, settings):
    settings.MESSAGING_OUTBOX = False
    delivery = Delivery.objects.create(channel="email", address="lead@example.test", body="Hi", subject="a\nBcc: x@y")

    tasks.deliveries_send.delay([str(delivery.id)])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.error.startswith("E-mail not sent:")


def test_the_beat_job_resends_stuck_deliveries_only(db, settings):
    settings.MESSAGING_STALE_AFTER_SECONDS = 300
    long_ago = timezone.now() - timedelta(minutes=10)
    stuck_sending = _queued(status="sending", attempts=1)
    lost_queued = _queued()
    fresh = _queued()
    done = _queued(status="sent", provider="twilio")
    Delivery.objects.filter(pk__in=[stuck_sending.pk, lost_queued.pk, done.pk]).update(updated_at=long_ago)

    requeued = tasks.deliveries_requeue_stale.apply().get()
    statuses = dict(Delivery.objects.values_list("pk", "status"))

    assert requeued == 2
    assert (statuses[stuck_sending.pk], statuses[lost_queued.pk]) == ("queued", "queued")
    assert (statuses[fresh.pk], statuses[done.pk]) == ("queued", "sent")
    assert tasks.deliveries_requeue_stale.apply().get() == 0  # just requeued: not stale any more


def test_requeued_deliveries_are_sent_after_commit(db, settings, django_capture_on_commit_callbacks):
    stuck = _queued(status="sending", attempts=1)
    Delivery.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.deliveries_requeue_stale.apply()

    stuck.refresh_from_db()
    assert (stuck.status, stuck.provider, stuck.attempts) == ("delivered", "outbox", 2)
