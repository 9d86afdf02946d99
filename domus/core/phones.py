"""One spelling per phone number, so a lead, a client, an opt-out or a delivery written
as ``0711 000 111``, ``+254 (711) 000-111`` or ``254711000111`` is the same number:
E.164 (``+254711000111``) whenever libphonenumber finds a possible number, reading
numbers without a country code in ``PHONE_DEFAULT_REGION``; otherwise the digits (and
a leading ``+``), so nothing a person typed is thrown away."""

import re

import phonenumbers
from django.conf import settings


def normalize_phone(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"\D", "", value)
    return f"+{digits}" if value.startswith("+") and digits else digits
