"""Money: Decimal amounts with an ISO 4217 currency (DESIGN.md "API conventions").

Models store amounts in ``money_field()`` columns next to a ``currency_field()``;
schemas take currencies as ``CurrencyCode`` (upper-cased, three letters); services
round with ``quantize`` before they store or compare computed amounts.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from django.db import models
from pydantic import AfterValidator, StringConstraints

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
