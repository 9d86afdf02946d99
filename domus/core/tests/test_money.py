from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from domus.core.money import CurrencyCode, quantize


@pytest.mark.parametrize(
    ("amount", "expected"), [("1.005", "1.01"), ("2.004", "2.00"), (3, "3.00"), ("-1.005", "-1.01")]
)
def test_quantize_rounds_half_up_to_cents(amount, expected):
    assert quantize(amount) == Decimal(expected)


def test_currency_codes_are_upper_cased_and_three_letters():
    codes = TypeAdapter(CurrencyCode)

    assert codes.validate_python(" kes ") == "KES"
    for bad in ("KE", "KESH", "K3S", ""):
        with pytest.raises(ValidationError):
            codes.validate_python(bad)
