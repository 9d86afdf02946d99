"""The pattern of the string form of a Decimal input in the OpenAPI schema.

A Decimal field accepts a JSON number or a string; Pydantic states the number's bounds
but leaves the string free, so the schema offered ``""`` or ``"-1"`` for an amount the
service refuses. This pattern states the string form from the same field constraints:
plain decimal notation (no exponent), a ``-`` only where the lower bound allows it, at
most ``decimal_places`` decimals, a whole part within ``max_digits`` and the bounds. Where
a bound cannot be put in a pattern, the pattern is narrower than the service (a value
the service takes may be left out), never looser; a positive lower bound other than
"more than 0" leaves the string free."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def _up_to(limit: int, *, zero: bool) -> list[str]:
    """Alternatives matching the integers (1 or 0)..``limit`` without leading zeros."""
    text = str(limit)
    width = len(text)
    options = ["0"] if zero else []
    if width == 2:
        options.append("[1-9]")
    elif width > 2:
        options.append(rf"[1-9]\d{{0,{width - 2}}}")
    for index, digit in enumerate(text):  # same width as ``limit``, smaller at ``index``
        low = 1 if index == 0 else 0
        if int(digit) > low:
            top = int(digit) - 1
            span = str(low) if top == low else f"[{low}-{top}]"
            rest = width - index - 1
            options.append(text[:index] + span + (rf"\d{{{rest}}}" if rest else ""))
    if limit >= 1:
        options.append(text)
    return options


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def decimal_pattern(schema: dict[str, Any]) -> str | None:
    """The pattern for a Pydantic ``decimal`` core schema, or None to leave the string free."""
    places = schema.get("decimal_places")
    digits = schema.get("max_digits")
    low, above = _number(schema.get("ge")), _number(schema.get("gt"))
    high = _number(schema.get("le"))
    if schema.get("multiple_of") is not None or schema.get("lt") is not None:
        return None
    lower = low if low is not None else above
    if lower is not None and (lower > 0 or (lower == 0 and low is None and above != 0)):
        return None
    negative = lower is None or lower < 0
    positive = above == 0 and low is None  # more than 0
    magnitude = high
    if negative and lower is not None:
        magnitude = -lower if magnitude is None else min(-lower, magnitude)
    fraction = rf"(?:\.\d{{1,{places}}})?" if places else (r"(?:\.\d+)?" if places is None else "")
    options: list[str] = []
    if magnitude is not None:
        whole = math.floor(magnitude)
        full = bool(places) and magnitude - whole == 1 - Decimal(1).scaleb(-places)
        limit = whole if full else whole - 1
        if limit >= 0:
            options += [f"(?:{'|'.join(_up_to(limit, zero=not positive))}){fraction}"]
        if not full and whole >= 1:
            options.append(str(whole) + (rf"(?:\.0{{1,{places}}})?" if places else ""))
    else:
        width = digits - (places or 0) if digits is not None else None
        many = rf"\d{{0,{width - 1}}}" if width is not None else r"\d*"
        options.append(f"(?:{'' if positive else '0|'}[1-9]{many}){fraction}")
    if positive and places != 0:
        options.append(rf"0\.\d{{0,{places - 1}}}[1-9]" if places else r"0\.\d*[1-9]")
    if not options:
        return None
    return "^" + ("-?" if negative else "") + "(?:" + "|".join(options) + ")$"
