"""The string form of a Decimal input that the OpenAPI schema states matches what the
field takes: no sign under a lower bound of 0, the decimal places, the upper bound."""

import re

import pytest

from domus.core.decimal_pattern import decimal_pattern

MONEY = {"gt": 0, "le": 999999999999.99, "max_digits": 14, "decimal_places": 2}
RATING = {"ge": 0, "le": 5, "max_digits": 3, "decimal_places": 2}
LATITUDE = {"ge": -90, "le": 90, "max_digits": 9, "decimal_places": 6}


@pytest.mark.parametrize(
    ("constraints", "text", "matches"),
    [
        (MONEY, "12.50", True),
        (MONEY, "0.01", True),
        (MONEY, "999999999999.99", True),
        (MONEY, "0", False),
        (MONEY, "0.00", False),
        (MONEY, "-1", False),
        (MONEY, "", False),
        (MONEY, "1.234", False),
        (MONEY, "1000000000000", False),
        (MONEY, "1e3", False),
        (RATING, "5", True),
        (RATING, "5.00", True),
        (RATING, "4.99", True),
        (RATING, "0", True),
        (RATING, "5.01", False),
        (RATING, "6", False),
        (LATITUDE, "-90", True),
        (LATITUDE, "-0.5", True),
        (LATITUDE, "89.999999", True),
        (LATITUDE, "-90.1", False),
        (LATITUDE, "91", False),
        ({}, "-3.75", True),
        ({"ge": 0}, "-3.75", False),
    ],
)
def test_the_pattern_matches_what_the_field_takes(constraints, text, matches):
    assert bool(re.fullmatch(decimal_pattern(constraints), text)) is matches


def test_a_bound_a_pattern_cannot_state_leaves_the_string_free():
    assert decimal_pattern({"ge": 1}) is None
    assert decimal_pattern({"multiple_of": 0.5}) is None
