"""One spelling per address, so an opt-out recorded as ``+254 (700) 000-001`` stops a
send to ``+254700000001``: e-mail addresses are trimmed and lower-cased, phone numbers
(sms, whatsapp, voice) lose spaces, dashes, dots and parentheses but keep a leading
``+``, Telegram chat ids are trimmed."""

import re

PHONE_CHANNELS = frozenset({"sms", "whatsapp", "voice"})
_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalize_address(channel: str, address: str) -> str:
    value = (address or "").strip()
    if channel == "email":
        return value.lower()
    if channel in PHONE_CHANNELS:
        plus = value.startswith("+")
        digits = _PHONE_NOISE.sub("", value).lstrip("+")
        return f"+{digits}" if plus else digits
    return value
