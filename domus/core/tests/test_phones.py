"""Phone numbers in one spelling (E.164), read in PHONE_DEFAULT_REGION without a country code."""

import pytest

from domus.core.phones import normalize_phone


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("0711 000 111", "+254711000111"),
        ("+254 (711) 000-111", "+254711000111"),
        ("254711000111", "+254711000111"),
        ("711000111", "+254711000111"),
        ("+44 20 7946 0958", "+442079460958"),
        ("  ", ""),
        (None, ""),
        ("12345", "12345"),  # not a possible number anywhere: kept as typed, digits only
        ("+12-34", "+1234"),
    ],
)
def test_numbers_are_stored_in_e164(raw, stored):
    assert normalize_phone(raw) == stored


def test_numbers_without_a_country_code_are_read_in_the_default_region(settings):
    settings.PHONE_DEFAULT_REGION = "US"

    assert normalize_phone("(415) 555-2671") == "+14155552671"
    assert normalize_phone("+254 711 000 111") == "+254711000111"


@pytest.mark.parametrize(
    ("region", "raw"),
    [
        ("KE", "00254711000111"),  # the common dial-out prefix, not Kenya's own
        ("KE", "00 254 711 000 111"),
        ("KE", "000254711000111"),  # Kenya's own dial-out prefix
        ("US", "011 254 711 000 111"),  # the US dial-out prefix
        ("US", "00254711000111"),
    ],
)
def test_a_dial_out_prefix_is_the_same_number_as_the_plus(settings, region, raw):
    settings.PHONE_DEFAULT_REGION = region

    assert normalize_phone(raw) == "+254711000111"
