"""Inbound replies to campaign and sequence messages: matched to the message they
answer, recorded on it and on the lead, and ending the lead's sequences that exit on a
reply."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from domus.communications.addresses import normalize_address
from domus.communications.selectors import delivery_ids_by_provider_message
from domus.crm.selectors import lead_brief, lead_ids_with_address
from domus.crm.services import lead_activity_create
from domus.marketing import selectors
from domus.marketing.models import Touch
from domus.marketing.services.sequences import enrolments_exit_for_lead

# A reply on one of these reaches the messages sent on any of them (one phone number).
PHONE_CHANNELS = ("sms", "whatsapp", "voice")


def _replied_touch(channel: str, address: str, in_reply_to: str) -> Touch | None:
    """The message a reply answers: the one the provider names (``In-Reply-To``,
    WhatsApp's context id), else the latest message handed to the sender's address on
    that channel within the attribution window."""
    for delivery_id in delivery_ids_by_provider_message(in_reply_to.strip()):
        touch = selectors.touch_of_delivery(delivery_id)
        if touch is not None:
            return touch
    normalised = normalize_address(channel, address)
    if not normalised:
        return None
    lead_ids = (
        lead_ids_with_address(email=normalised) if channel == "email" else lead_ids_with_address(phone=normalised)
    )
    channels = PHONE_CHANNELS if channel in PHONE_CHANNELS else (channel,)
    return selectors.touch_latest_handed(lead_ids=lead_ids, channels=channels, since=selectors.attribution_since())


def reply_received(*, channel: str, address: str, text: str, in_reply_to: str = "") -> Touch | None:
    """Record a reply from ``address`` on ``channel``: on the message it answers (the
    first reply is kept, counted once in the campaign's ``replied``), as an activity on
    the lead (which feeds its score), and the lead's sequences that exit on a reply end.
    Answers the message, or ``None`` when the reply answers none of ours."""
    touch = _replied_touch(channel, address, in_reply_to)
    if touch is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        Touch.objects.filter(pk=touch.pk, replied_at__isnull=True).update(
            replied_at=now, reply=text[:5000], updated_at=now
        )
        lead = lead_brief(touch.lead_id)
        if lead is not None:
            lead_activity_create(
                actor=None,
                lead=lead,
                kind="email" if channel == "email" else "note",
                note=f"Reply by {channel} to a marketing message: {text[:1000]}",
            )
        enrolments_exit_for_lead(lead_id=touch.lead_id, reason="reply")
    touch.refresh_from_db()
    return touch


def replies_from_payload(provider: str, payload: Any) -> list[tuple[str, str, str, str]]:
    """(channel, address, text, in-reply-to id) of each message in a provider's inbound
    webhook: Twilio's form (``From``, ``Body``; ``whatsapp:`` numbers on WhatsApp), Meta's
    WhatsApp ``entry[].changes[].value.messages[]``, or an e-mail as JSON (``from``,
    ``text``, ``in_reply_to``, as inbound-mail services post it)."""
    if provider == "twilio":
        sender = str(payload.get("From", ""))
        channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
        return [(channel, sender.removeprefix("whatsapp:"), str(payload.get("Body", "")), "")]
    if provider == "email":
        return [
            (
                "email",
                _mailbox_of(str(payload.get("from", ""))),
                str(payload.get("text", "")),
                str(payload.get("in_reply_to", "")),
            )
        ]
    rows = []
    for entry in _objects(payload.get("entry")):
        for change in _objects(entry.get("changes")):
            value = change.get("value") or {}
            if not isinstance(value, dict):
                raise ValueError("value")
            for message in _objects(value.get("messages")):
                text = message.get("text") if isinstance(message.get("text"), dict) else {}
                context = message.get("context") if isinstance(message.get("context"), dict) else {}
                sender = str(message.get("from", "")).lstrip("+")
                rows.append(
                    ("whatsapp", f"+{sender}" if sender else "", str(text.get("body", "")), str(context.get("id", "")))
                )
    return rows


def _objects(value: Any) -> list[dict]:
    """A list of JSON objects (missing: none); anything else is the wrong shape."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError("Expected a list of objects.")
    return value


def _mailbox_of(value: str) -> str:
    """``Jane Doe <jane@x.com>`` -> ``jane@x.com``."""
    from email.utils import parseaddr

    return parseaddr(value)[1] or value
