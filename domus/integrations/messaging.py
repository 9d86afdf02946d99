"""Outbound messages on five channels behind one interface.

``adapter_for(channel).send(to=..., body=..., subject=..., template=...)`` answers a ``SendResult``
or raises ``SendFailed`` (``retryable`` tells the caller whether a later attempt may
succeed: timeouts, 429 and 5xx are retryable; a rejected number is not).

- e-mail: Django's e-mail backends (``settings.MAILERS``),
- sms and voice: the Twilio REST API (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``,
  ``TWILIO_FROM_NUMBER``),
- whatsapp: the WhatsApp Cloud API (``WHATSAPP_TOKEN``, ``WHATSAPP_PHONE_NUMBER_ID``),
- telegram: the Telegram Bot API (``TELEGRAM_BOT_TOKEN``; the address is a chat id).

A channel whose credentials are not configured, or every channel when
``MESSAGING_OUTBOX`` is on (the embedded default), goes to the local outbox: the
message is logged and kept as its delivery record, so the flow works with no accounts.
"""

import logging
from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import escape

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid

from domus.core.ids import uuid7

logger = logging.getLogger("domus.integrations.messaging")

TWILIO_API = "https://api.twilio.com/2010-04-01"
WHATSAPP_API = "https://graph.facebook.com/v21.0"
TELEGRAM_API = "https://api.telegram.org"
CHANNELS = ("email", "sms", "whatsapp", "telegram", "voice")


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str
    delivered: bool = False  # True when the provider confirms delivery in its answer


class SendFailed(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Adapter(Protocol):
    """One channel's provider."""

    name: str

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult: ...


def _timeout() -> float:
    return float(getattr(settings, "MESSAGING_TIMEOUT_SECONDS", 10))


def _post(url: str, **kwargs) -> dict:
    """POST to a provider; ``SendFailed`` with the provider's own words on failure."""
    try:
        response = httpx.post(url, timeout=_timeout(), **kwargs)
    except httpx.HTTPError as exc:
        raise SendFailed(f"Provider unreachable: {exc.__class__.__name__}", retryable=True) from exc
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code >= 400:
        retryable = response.status_code == 429 or response.status_code >= 500
        detail = data.get("message") or data.get("description") or (data.get("error") or {})
        if isinstance(detail, dict):
            detail = detail.get("message", "")
        raise SendFailed(f"Provider answered {response.status_code}: {detail}".strip(), retryable=retryable)
    return data


class OutboxAdapter:
    """The embedded default: keep the message locally (its delivery record is the outbox)."""

    name = "outbox"

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult:
        message_id = f"outbox-{uuid7()}"
        logger.info("outbox %s to %s: %s", self.channel, to, (subject or body)[:80], extra={"id": message_id})
        return SendResult(provider=self.name, provider_message_id=message_id, delivered=True)


class EmailAdapter:
    name = "email"

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult:
        message_id = make_msgid(domain="domus")
        message = EmailMultiAlternatives(
            subject=subject or "Message from Domus", body=body, to=[to], headers={"Message-ID": message_id}
        )
        if template and template.get("html"):  # an HTML part besides the text (marketing e-mails)
            message.attach_alternative(template["html"], "text/html")
        try:
            message.send()
        except ValueError as exc:  # a bad address or header (newline): the same next time
            raise SendFailed(f"E-mail not sent: {exc}", retryable=False) from exc
        except Exception as exc:  # any backend error (SMTP, network) is worth retrying
            raise SendFailed(f"E-mail not sent: {exc}", retryable=True) from exc
        return SendResult(provider=self.name, provider_message_id=message_id)


def _twilio_send(resource: str, to: str, content: dict[str, str]) -> SendResult:
    """Create one Twilio REST resource (``Messages``, ``Calls``) from the account's number."""
    sid = settings.TWILIO_ACCOUNT_SID
    data = _post(
        f"{TWILIO_API}/Accounts/{sid}/{resource}.json",
        auth=(sid, settings.TWILIO_AUTH_TOKEN),
        data={"To": to, "From": settings.TWILIO_FROM_NUMBER, **content, **_status_callback("twilio")},
    )
    return SendResult(provider="twilio", provider_message_id=data.get("sid", ""))


class TwilioSmsAdapter:
    name = "twilio"

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult:
        return _twilio_send("Messages", to, {"Body": body})


class TwilioVoiceAdapter:
    """A call that reads the message aloud."""

    name = "twilio"

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult:
        return _twilio_send("Calls", to, {"Twiml": f"<Response><Say>{escape(body)}</Say></Response>"})


class WhatsAppAdapter:
    name = "whatsapp"

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult:
        data = _post(
            f"{WHATSAPP_API}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages",
            headers={"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"},
            json={"messaging_product": "whatsapp", "to": to.lstrip("+"), **_whatsapp_content(body, template)},
        )
        messages = data.get("messages") or [{}]
        return SendResult(provider=self.name, provider_message_id=messages[0].get("id", ""))


def _whatsapp_content(body: str, template: dict | None) -> dict:
    """Free text (only inside the 24 hours after the recipient last wrote), or an
    approved template with its body parameters (any time)."""
    if not template:
        return {"type": "text", "text": {"body": body}}
    parameters = [{"type": "text", "text": value} for value in template.get("parameters", [])]
    content = {"name": template["name"], "language": {"code": template.get("language", "en_US")}}
    if parameters:
        content["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": content}


class TelegramAdapter:
    name = "telegram"

    def send(self, *, to: str, body: str, subject: str = "", template: dict | None = None) -> SendResult:
        data = _post(f"{TELEGRAM_API}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage", json={"chat_id": to, "text": body})
        result = data.get("result") or {}
        # The Bot API answers once the message is in the chat: that is delivery.
        return SendResult(provider=self.name, provider_message_id=str(result.get("message_id", "")), delivered=True)


def _status_callback(provider: str) -> dict[str, str]:
    base = getattr(settings, "MESSAGING_CALLBACK_BASE_URL", "")
    if not base:
        return {}
    token = settings.MESSAGING_CALLBACK_TOKEN
    return {"StatusCallback": f"{base.rstrip('/')}/api/v1/communications/callbacks/{provider}/?token={token}"}


def _configured(channel: str) -> bool:
    if channel == "email":
        return True
    if channel in ("sms", "voice"):
        return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER)
    if channel == "whatsapp":
        return bool(settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)
    if channel == "telegram":
        return bool(settings.TELEGRAM_BOT_TOKEN)
    return False


def adapter_for(channel: str) -> Adapter:
    """The adapter that sends on ``channel`` with the current settings."""
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}.")
    if settings.MESSAGING_OUTBOX or not _configured(channel):
        return OutboxAdapter(channel)
    return {
        "email": EmailAdapter,
        "sms": TwilioSmsAdapter,
        "voice": TwilioVoiceAdapter,
        "whatsapp": WhatsAppAdapter,
        "telegram": TelegramAdapter,
    }[channel]()
