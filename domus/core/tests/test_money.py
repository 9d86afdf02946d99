from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from domus.core.money import CurrencyCode, MoneyStr, money_str, money_totals, quantize


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


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("3000", "3000.00"),
        (Decimal("106070.370000000"), "106070.37"),
        (0, "0.00"),
        ("-0.001", "0.00"),
        ("1E+3", "1000.00"),
    ],
)
def test_money_is_written_as_a_two_decimal_string(amount, expected):
    assert money_str(amount) == expected
    assert TypeAdapter(MoneyStr).dump_python(Decimal(amount)) == expected
    assert TypeAdapter(MoneyStr).dump_json(Decimal(amount)) == f'"{expected}"'.encode()


def test_totals_are_kept_per_currency():
    rows = [("USD", Decimal("10")), ("KES", "3000"), ("KES", Decimal("0.5")), ("EUR", None)]

    assert money_totals(rows) == {"EUR": "0.00", "KES": "3000.50", "USD": "10.00"}
