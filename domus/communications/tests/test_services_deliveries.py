import httpx
import pytest
import respx

from domus.communications.models import CommunicationPreference, Delivery
from domus.communications.services import delivery_attempt, delivery_status_update, in_quiet_hours
from domus.integrations.messaging import SendFailed

TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


@pytest.fixture
def twilio(settings):
    settings.MESSAGING_OUTBOX = False
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "t", "+1555"


def _queued(**fields) -> Delivery:
    return Delivery.objects.create(channel="sms", address="+254700000001", body="Hi", **fields)


@respx.mock
def test_a_provider_outage_is_retried_then_recorded_as_failed(db, twilio):
    respx.post(TWILIO).mock(return_value=httpx.Response(503, json={"message": "down"}))
    delivery = _queued()

    with pytest.raises(SendFailed):
        delivery_attempt(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 1)

    delivery_attempt(delivery_id=delivery.id, final=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("failed", 2, "Provider answered 503: down")


@respx.mock
def test_a_retry_that_succeeds_records_the_provider_id(db, twilio):
    respx.post(TWILIO).mock(side_effect=[httpx.Response(500), httpx.Response(201, json={"sid": "SM7"})])
    delivery = _queued()

    with pytest.raises(SendFailed):
        delivery_attempt(delivery_id=delivery.id)
    delivery_attempt(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_message_id, delivery.error, delivery.attempts) == ("sent", "SM7", "", 2)


def test_a_sent_or_refused_delivery_is_not_sent_again(db):
    refused = _queued(status="refused")

    assert delivery_attempt(delivery_id=refused.id) is None
    refused.refresh_from_db()
    assert refused.attempts == 0


def test_delivery_callbacks_never_move_backwards(db):
    delivery = _queued(status="delivered", provider="twilio", provider_message_id="SM1")

    assert delivery_status_update(provider="twilio", provider_message_id="SM1", status="sent") == 0
    assert delivery_status_update(provider="twilio", provider_message_id="SM1", status="weird") == 0
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_quiet_hours_span_midnight_in_the_users_zone():
    from datetime import UTC, datetime, time

    preference = CommunicationPreference(quiet_hours_start=time(22), quiet_hours_end=time(7), timezone="Africa/Nairobi")

    assert in_quiet_hours(preference, datetime(2026, 1, 1, 20, 30, tzinfo=UTC))  # 23:30 in Nairobi
    assert in_quiet_hours(preference, datetime(2026, 1, 1, 3, 0, tzinfo=UTC))  # 06:00
    assert not in_quiet_hours(preference, datetime(2026, 1, 1, 5, 0, tzinfo=UTC))  # 08:00
