"""One spelling per recipient, so an opt-out recorded as ``0700 000 001`` stops a send
to ``+254700000001`` or ``00254700000001``, and one recorded for ``Jane+promo@x.com``
stops a send to ``jane@x.com``: e-mail addresses are trimmed, lower-cased and lose their
``+tag`` (one mailbox, one recipient), phone numbers (sms, whatsapp, voice) are written
as ``domus.core.phones`` writes them (E.164, dial-out prefixes read as ``+``), Telegram
chat ids are trimmed. This spelling is for matching recipients; messages go to the
address as the lead wrote it (a phone number in E.164)."""

from typing import Any

from domus.core.phones import normalize_phone

PHONE_CHANNELS = frozenset({"sms", "whatsapp", "voice"})


def _mailbox(email: str) -> str:
    """``Jane+Promo@X.com`` -> ``jane@x.com``: sub-addresses reach the same mailbox."""
    local, at, domain = email.lower().rpartition("@")
    if not at:
        return email.lower()
    base = local.split("+", 1)[0]
    return f"{base or local}@{domain}"


def normalize_address(channel: str, address: str) -> str:
    value = (address or "").strip()
    if channel == "email":
        return _mailbox(value)
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
