"""The channel adapters against their providers, faked at the HTTP boundary."""

import json
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.core import mail

from domus.integrations.messaging import (
    EmailAdapter,
    OutboxAdapter,
    SendFailed,
    TelegramAdapter,
    TwilioSmsAdapter,
    TwilioVoiceAdapter,
    WhatsAppAdapter,
    adapter_for,
)

TWILIO_MESSAGES = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


@pytest.fixture
def providers(settings):
    settings.MESSAGING_OUTBOX = False
    settings.TWILIO_ACCOUNT_SID = "AC1"
    settings.TWILIO_AUTH_TOKEN = "secret"
    settings.TWILIO_FROM_NUMBER = "+15550001111"
    settings.WHATSAPP_TOKEN = "wa-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "123"
    settings.TELEGRAM_BOT_TOKEN = "tg"
    settings.MESSAGING_CALLBACK_BASE_URL = ""
    return settings


def test_outbox_is_the_default_and_the_fallback_without_credentials(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    assert isinstance(adapter_for("sms"), OutboxAdapter)
    settings.MESSAGING_OUTBOX = False
    assert isinstance(adapter_for("sms"), OutboxAdapter)
    assert isinstance(adapter_for("email"), EmailAdapter)
    with pytest.raises(ValueError, match="Unknown channel"):
        adapter_for("fax")


def test_adapters_are_picked_by_channel_when_configured(providers):
    assert [type(adapter_for(c)) for c in ("sms", "voice", "whatsapp", "telegram")] == [
        TwilioSmsAdapter,
        TwilioVoiceAdapter,
        WhatsAppAdapter,
        TelegramAdapter,
    ]


@respx.mock
def test_twilio_sms_posts_the_message_with_basic_auth(providers):
    providers.MESSAGING_CALLBACK_BASE_URL = "https://api.example.test"
    providers.MESSAGING_CALLBACK_TOKEN = "cb"
    route = respx.post(TWILIO_MESSAGES).mock(return_value=httpx.Response(201, json={"sid": "SM123"}))

    result = TwilioSmsAdapter().send(to="+254700000001", body="Hello")

    assert (result.provider, result.provider_message_id, result.delivered) == ("twilio", "SM123", False)
    request = route.calls[0].request
    assert request.headers["Authorization"].startswith("Basic ")
    form = parse_qs(request.content.decode())
    assert form["To"] == ["+254700000001"]
    assert form["Body"] == ["Hello"]
    assert form["From"] == ["+15550001111"]
    assert form["StatusCallback"] == ["https://api.example.test/api/v1/communications/callbacks/twilio/?token=cb"]


@respx.mock
def test_a_rejected_number_is_final_and_an_outage_is_retryable(providers):
    respx.post(TWILIO_MESSAGES).mock(
        side_effect=[
            httpx.Response(400, json={"message": "Invalid 'To' number"}),
            httpx.Response(503, json={}),
            httpx.ConnectTimeout("slow"),
        ]
    )
    adapter = TwilioSmsAdapter()
    failures = []
    for _ in range(3):
        with pytest.raises(SendFailed) as caught:
            adapter.send(to="123", body="x")
        failures.append((caught.value.retryable, str(caught.value)))

    assert failures[0] == (False, "Provider answered 400: Invalid 'To' number")
    assert failures[1][0] is True
    assert failures[2] == (True, "Provider unreachable: ConnectTimeout")


@respx.mock
def test_twilio_voice_reads_the_message_aloud(providers):
    route = respx.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json").mock(
        return_value=httpx.Response(201, json={"sid": "CA9"})
    )

    result = TwilioVoiceAdapter().send(to="+254700000001", body="Rent is due <soon>")

    assert result.provider_message_id == "CA9"
    form = parse_qs(route.calls[0].request.content.decode())
    assert form["Twiml"] == ["<Response><Say>Rent is due &lt;soon&gt;</Say></Response>"]


@respx.mock
def test_whatsapp_cloud_api(providers):
    route = respx.post("https://graph.facebook.com/v21.0/123/messages").mock(
        return_value=httpx.Response(200, json={"messages": [{"id": "wamid.1"}]})
    )

    result = WhatsAppAdapter().send(to="+254700000001", body="Hi")

    assert result.provider_message_id == "wamid.1"
    request = route.calls[0].request
    assert request.headers["Authorization"] == "Bearer wa-token"
    assert b'"to":"254700000001"' in request.content


@respx.mock
def test_whatsapp_template_for_recipients_outside_the_24_hour_window(providers):
    route = respx.post("https://graph.facebook.com/v21.0/123/messages").mock(
        return_value=httpx.Response(200, json={"messages": [{"id": "wamid.2"}]})
    )
    template = {"name": "rent_reminder", "language": "en_GB", "parameters": ["Jane", "KES 30,000"]}

    WhatsAppAdapter().send(to="+254700000001", body="Hi Jane, KES 30,000 is due", template=template)

    assert json.loads(route.calls[0].request.content) == {
        "messaging_product": "whatsapp",
        "to": "254700000001",
        "type": "template",
        "template": {
            "name": "rent_reminder",
            "language": {"code": "en_GB"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Jane"}, {"type": "text", "text": "KES 30,000"}],
                }
            ],
        },
    }


@respx.mock
def test_telegram_bot_api_error_is_explained(providers):
    respx.post("https://api.telegram.org/bottg/sendMessage").mock(
        return_value=httpx.Response(403, json={"ok": False, "description": "Forbidden: bot was blocked by the user"})
    )

    with pytest.raises(SendFailed) as caught:
        TelegramAdapter().send(to="42", body="Hi")

    assert caught.value.retryable is False
    assert "bot was blocked" in str(caught.value)


def test_email_goes_through_djangos_backend(settings):
    result = EmailAdapter().send(to="lead@example.test", body="Welcome", subject="Hello")

    assert len(mail.outbox) == 1
    assert (mail.outbox[0].subject, mail.outbox[0].to) == ("Hello", ["lead@example.test"])
    assert result.provider_message_id == mail.outbox[0].extra_headers["Message-ID"]


def test_an_email_header_error_is_final_and_a_backend_outage_retryable(monkeypatch):
    with pytest.raises(SendFailed) as header:
        EmailAdapter().send(to="lead@example.test", body="Hi", subject="Hello\nBcc: everyone@example.test")

    def smtp_down(self, messages):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", smtp_down)
    with pytest.raises(SendFailed) as outage:
        EmailAdapter().send(to="lead@example.test", body="Hi", subject="Hello")

    assert header.value.retryable is False
    assert outage.value.retryable is True
    assert len(mail.outbox) == 0


@respx.mock
def test_whatsapp_errors_carry_the_providers_words_and_retry_only_outages(providers):
    respx.post("https://graph.facebook.com/v21.0/123/messages").mock(
        side_effect=[
            httpx.Response(400, json={"error": {"message": "Recipient phone number not in allowed list"}}),
            httpx.Response(500, json={"error": {"message": "Service temporarily unavailable"}}),
        ]
    )
    adapter = WhatsAppAdapter()
    failures = []
    for _ in range(2):
        with pytest.raises(SendFailed) as caught:
            adapter.send(to="+254700000001", body="Hi")
        failures.append((caught.value.retryable, str(caught.value)))

    assert failures == [
        (False, "Provider answered 400: Recipient phone number not in allowed list"),
        (True, "Provider answered 500: Service temporarily unavailable"),
    ]


@respx.mock
def test_twilio_voice_outage_is_retryable(providers):
    respx.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json").mock(
        return_value=httpx.Response(503, json={"message": "Service Unavailable"})
    )

    with pytest.raises(SendFailed) as caught:
        TwilioVoiceAdapter().send(to="+254700000001", body="Rent is due")

    assert caught.value.retryable is True
    assert str(caught.value) == "Provider answered 503: Service Unavailable"
