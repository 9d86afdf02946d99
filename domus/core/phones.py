"""One spelling per phone number, so a lead, a client, an opt-out or a delivery written
as ``0711 000 111``, ``+254 (711) 000-111``, ``254711000111`` or dialled out as
``00254711000111`` is the same number: E.164 (``+254711000111``) whenever
libphonenumber finds a possible number, reading numbers without a country code in
``PHONE_DEFAULT_REGION``; otherwise the digits (and a leading ``+``), so nothing a
person typed is thrown away."""

import functools
import re

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneMetadata

# The ITU-recommended dial-out prefix, used in most of the world whatever the region's own.
COMMON_INTERNATIONAL_PREFIX = "00"


def _parse(value: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None


def _dialled_out(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    """``value`` read as an international number dialled with a dial-out prefix (the
    region's own, e.g. ``000`` in Kenya or ``011`` in the US, or the common ``00``)."""
    if value.startswith("+"):
        return None
    digits = re.sub(r"\D", "", value)
    metadata = PhoneMetadata.metadata_for_region(region)
    patterns = [metadata.international_prefix] if metadata and metadata.international_prefix else []
    for pattern in [*patterns, COMMON_INTERNATIONAL_PREFIX]:
        prefix = re.match(f"(?:{pattern})", digits)
        if prefix and digits[prefix.end() :]:
            number = _parse(f"+{digits[prefix.end() :]}", None)
            if number is not None:
                return number
    return None


def normalize_phone(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    return _normalize(value, settings.PHONE_DEFAULT_REGION)


@functools.lru_cache(maxsize=65_536)
def _normalize(value: str, region: str) -> str:
    """libphonenumber's reading (half a millisecond a number), remembered: a campaign
    batch normalises each recipient's number several times (address, opt-outs, guards)."""
    candidates = [n for n in (_parse(value, region), _dialled_out(value, region)) if n is not None]
    # A valid number beats a merely possible one: ``00254711000111`` read nationally is
    # a possible-length Kenyan number only by accident, dialled out it is a real one.
    for acceptable in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        for number in candidates:
            if acceptable(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"\D", "", value)
    return f"+{digits}" if value.startswith("+") and digits else digits


_PHONE_TERM = re.compile(r"^\+?[\d\s().\-/]{7,}$")


def phone_search_pattern(term: str | None) -> str | None:
    """A regular expression finding ``term``'s phone number however it was stored
    (``0711 000 111``, ``+254711000111``, ``254-711-000-111``): the term is normalised,
    then its national digits are matched at the end of the stored value with any
    separators between them. ``None`` when the term does not look like a phone number."""
    value = (term or "").strip()
    if not _PHONE_TERM.match(value) or len(re.sub(r"\D", "", value)) < 7:
        return None
    normalized = normalize_phone(value)
    number = _parse(normalized, None) if normalized.startswith("+") else None
    digits = str(number.national_number) if number is not None else re.sub(r"\D", "", normalized)
    return r"\D*".join(digits) + r"\D*$"
