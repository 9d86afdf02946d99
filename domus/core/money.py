"""Money: Decimal amounts with an ISO 4217 currency.

Models store amounts in ``money_field()`` columns next to a ``currency_field()``;
schemas take currencies as ``CurrencyCode`` (upper-cased, a known ISO 4217 code); services
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

from domus.core.exceptions import ValidationFailed

DEFAULT_CURRENCY = "KES"
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
# The largest amount a money column holds (12 digits before the point).
MAX_MONEY = Decimal(10 ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)) - Decimal("0.01")
CENT = Decimal("0.01")

# ISO 4217 codes money can be entered in: the active currencies and funds, without XXX (no
# currency), XTS (testing) and the precious metals and bond-market units (XAU, XBA, ...).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CLF",
        "CLP",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "USN",
        "UYI",
        "UYU",
        "UYW",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XDR",
        "XOF",
        "XPF",
        "XSU",
        "XUA",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
        "ZWL",
    ]
)


def iso_4217(code: str) -> str:
    """``code`` upper-cased if it is an ISO 4217 currency; a ValueError (a 400 naming the field in a
    schema) otherwise."""
    code = code.upper()
    if code not in ISO_4217:
        raise ValueError(f"{code} is not an ISO 4217 currency code.")
    return code


# The schema states the codes themselves (upper case, as answers write them; lower case is
# accepted too).
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$", strip_whitespace=True),
    AfterValidator(iso_4217),
    WithJsonSchema({"type": "string", "enum": sorted(ISO_4217)}),
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


def currency_of(given: str | None, expected: str, *, whose: str, field: str = "currency") -> str:
    """The currency money is entered in: ``expected`` (the company's or the listing's), which
    ``given`` may repeat; any other currency is a 400 naming ``field``. Amounts in two currencies
    are never added, netted or paid against each other."""
    if given is None or given.upper() == expected.upper():
        return expected.upper()
    raise ValidationFailed(
        f"Amounts here are in {whose} currency, {expected.upper()}.",
        errors={field: [f"Must be {expected.upper()} ({whose} currency), not {given.upper()}."]},
    )
