"""One spelling per address, so an opt-out recorded as ``0700 000 001`` stops a send to
``+254700000001``: e-mail addresses are trimmed and lower-cased, phone numbers (sms,
whatsapp, voice) are written as ``domus.core.phones`` writes them (E.164), Telegram
chat ids are trimmed."""

from typing import Any

from domus.core.phones import normalize_phone

PHONE_CHANNELS = frozenset({"sms", "whatsapp", "voice"})


def normalize_address(channel: str, address: str) -> str:
    value = (address or "").strip()
    if channel == "email":
        return value.lower()
    if channel in PHONE_CHANNELS:
        return normalize_phone(value)
    return value


def normalize_stored_optouts(optout_model: Any) -> None:
    """Rewrite stored opt-out addresses in today's spelling (for data migrations); an
    opt-out that becomes a duplicate of an older one is dropped."""
    seen = set(optout_model.objects.values_list("channel", "address"))
    for optout in optout_model.objects.order_by("created_at").iterator():
        normalised = normalize_address(optout.channel, optout.address)
        if normalised == optout.address:
            continue
        if (optout.channel, normalised) in seen:
            optout.delete()
            continue
        seen.add((optout.channel, normalised))
        optout.address = normalised
        optout.save(update_fields=["address"])
