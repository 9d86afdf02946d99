"""Money: Decimal amounts with an ISO 4217 currency.

Models store amounts in ``money_field()`` columns next to a ``currency_field()``;
schemas take currencies as ``CurrencyCode`` (upper-cased, three letters); services
round with ``quantize`` before they store or compare computed amounts. Every amount
that leaves the backend (API answers, WebSocket frames, event payloads) is written by
``money_str`` (output schemas type it ``MoneyStr``), and totals over several
currencies are ``money_totals`` maps, one entry per currency.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from django.db import models
from pydantic import AfterValidator, PlainSerializer, StringConstraints, WithJsonSchema

DEFAULT_CURRENCY = "KES"
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
# The largest amount a money column holds (12 digits before the point).
MAX_MONEY = Decimal(10 ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)) - Decimal("0.01")
CENT = Decimal("0.01")

CurrencyCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{3}$", strip_whitespace=True), AfterValidator(str.upper)
]


def quantize(amount: Decimal | int | str) -> Decimal:
    """``amount`` rounded half-up to cents."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def money_field(**options: Any) -> models.DecimalField:
    """A DecimalField sized for money (12 digits before the point, cents after)."""
    return models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **options)


def currency_field(**options: Any) -> models.CharField:
    """An ISO 4217 currency code column."""
    options.setdefault("default", DEFAULT_CURRENCY)
    return models.CharField(max_length=3, help_text="ISO 4217", **options)


def money_str(amount: Decimal | int | str) -> str:
    """The one wire format of an amount: a string with exactly two decimals ("3000.00")."""
    value = quantize(amount)
    return str(value if value else abs(value))  # never "-0.00"


# An amount in an answer, a WebSocket frame or an event payload: always next to its
# currency, always two decimals, always a string (JSON numbers lose cents in clients).
MoneyStr = Annotated[
    Decimal,
    PlainSerializer(money_str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["3000.00"]}),
]

# Totals of amounts in several currencies: one entry per currency, never added across
# currencies ({"KES": "3000.00", "USD": "10.00"}; {} when there is nothing).
MoneyTotals = dict[str, MoneyStr]


def money_totals(rows: Iterable[tuple[str, Decimal | int | str | None]]) -> dict[str, str]:
    """``{currency: "amount"}`` from ``(currency, amount)`` rows (e.g. a ``values_list``
    of a query grouped by currency), summing rows of the same currency, sorted by code."""
    totals: dict[str, Decimal] = {}
    for currency, amount in rows:
        totals[currency] = totals.get(currency, Decimal(0)) + Decimal(amount or 0)
    return {currency: money_str(totals[currency]) for currency in sorted(totals)}
