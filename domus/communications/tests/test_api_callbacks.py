"""Provider delivery callbacks: bad bodies are 400s in the error shape, and when the
provider's secret is configured its signature is required."""

import base64
import hashlib
import hmac
import json

import pytest

from domus.communications.models import Delivery

TWILIO = "/api/v1/communications/callbacks/twilio/?token=s3cret"
WHATSAPP = "/api/v1/communications/callbacks/whatsapp/?token=s3cret"


@pytest.fixture(autouse=True)
def _callback_token(settings):
    settings.MESSAGING_CALLBACK_TOKEN = "s3cret"
    settings.MESSAGING_CALLBACK_BASE_URL = ""
    settings.TWILIO_AUTH_TOKEN = ""
    settings.WHATSAPP_APP_SECRET = ""


def _delivery(provider: str, message_id: str) -> Delivery:
    return Delivery.objects.create(
        channel="sms",
        address="+254700000000",
        body="x",
        status="sent",
        provider=provider,
        provider_message_id=message_id,
    )


def _twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    signed = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        '"a string"',
        "42",
        '{"entry": "nope"}',
        '{"entry": [1, 2]}',
        '{"entry": [{"changes": [3]}]}',
        '{"entry": [{"changes": [{"value": [1]}]}]}',
        '{"entry": [{"changes": [{"value": {"statuses": ["x"]}}]}]}',
        "not json",
    ],
)
def test_a_whatsapp_callback_of_the_wrong_shape_is_a_400(api_client, db, body):
    response = api_client.post(WHATSAPP, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["detail"]


def test_an_unknown_provider_is_a_400(api_client, db):
    response = api_client.post("/api/v1/communications/callbacks/sendgrid/?token=s3cret", {})

    assert response.status_code == 400
    assert response.json()["errors"] == {"provider": ["Use twilio or whatsapp."]}


def test_a_signed_twilio_callback_is_applied_and_an_unsigned_one_refused(api_client, settings, db):
    settings.TWILIO_AUTH_TOKEN = "twilio-auth"
    delivery = _delivery("twilio", "SM1")
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "AccountSid": "AC1"}
    url = f"http://testserver{TWILIO}"

    unsigned = api_client.post(TWILIO, params)
    forged = api_client.post(TWILIO, params, headers={"X-Twilio-Signature": _twilio_signature("wrong", url, params)})
    tampered = api_client.post(
        TWILIO,
        {**params, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": _twilio_signature("twilio-auth", url, params)},
    )
    delivery.refresh_from_db()
    status_after_refusals = delivery.status
    signed = api_client.post(
        TWILIO, params, headers={"X-Twilio-Signature": _twilio_signature("twilio-auth", url, params)}
    )

    assert [unsigned.status_code, forged.status_code, tampered.status_code] == [401, 401, 401]
    assert unsigned.json()["code"] == "AUTHENTICATION_ERROR"
    assert status_after_refusals == "sent"
    assert signed.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_twilio_signs_the_public_url_behind_a_proxy(api_client, settings, db):
    settings.TWILIO_AUTH_TOKEN = "twilio-auth"
    settings.MESSAGING_CALLBACK_BASE_URL = "https://api.example.test/"
    _delivery("twilio", "SM2")
    params = {"MessageSid": "SM2", "MessageStatus": "delivered"}
    public_url = f"https://api.example.test{TWILIO}"

    response = api_client.post(
        TWILIO, params, headers={"X-Twilio-Signature": _twilio_signature("twilio-auth", public_url, params)}
    )

    assert response.status_code == 204
    assert Delivery.objects.get().status == "delivered"


def test_a_whatsapp_callback_needs_the_app_secret_signature_when_configured(api_client, settings, db):
    settings.WHATSAPP_APP_SECRET = "meta-secret"
    delivery = _delivery("whatsapp", "wamid.1")
    body = json.dumps({"entry": [{"changes": [{"value": {"statuses": [{"id": "wamid.1", "status": "read"}]}}]}]})
    good = "sha256=" + hmac.new(b"meta-secret", body.encode(), hashlib.sha256).hexdigest()
    bad = "sha256=" + hmac.new(b"other", body.encode(), hashlib.sha256).hexdigest()

    missing = api_client.post(WHATSAPP, body, content_type="application/json")
    wrong = api_client.post(WHATSAPP, body, content_type="application/json", headers={"X-Hub-Signature-256": bad})
    delivery.refresh_from_db()
    status_after_refusals = delivery.status
    signed = api_client.post(WHATSAPP, body, content_type="application/json", headers={"X-Hub-Signature-256": good})

    assert (missing.status_code, wrong.status_code, status_after_refusals) == (401, 401, "sent")
    assert signed.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_the_shared_token_is_still_required_with_a_valid_signature(api_client, settings, db):
    settings.WHATSAPP_APP_SECRET = "meta-secret"
    body = "{}"
    good = "sha256=" + hmac.new(b"meta-secret", body.encode(), hashlib.sha256).hexdigest()

    response = api_client.post(
        "/api/v1/communications/callbacks/whatsapp/?token=wrong",
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": good},
    )

    assert response.status_code == 401


def test_a_burst_of_callbacks_is_not_throttled_like_a_public_form(api_client, settings, db):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public_form": "2/h", "messaging_callback": "100/h"}
    _delivery("twilio", "SM1")

    statuses = {api_client.post(TWILIO, {"MessageSid": "SM1", "MessageStatus": "sent"}).status_code for _ in range(12)}

    assert statuses == {204}
