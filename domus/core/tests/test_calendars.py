from datetime import date

import pytest

from domus.core.calendars import public_holidays


def test_a_country_s_public_holidays_are_named_by_day():
    kenya = public_holidays("ke", "", 2026)
    assert kenya[date(2026, 12, 12)] == "Jamhuri Day"
    assert date(2026, 12, 11) not in kenya


def test_a_blank_or_unknown_country_has_no_public_holidays():
    assert dict(public_holidays("", "", 2026)) == {}
    assert dict(public_holidays("ZZ", "", 2026)) == {}


def test_the_cached_answer_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        public_holidays("KE", "", 2026)[date(2026, 1, 2)] = "Invented"  # type: ignore[index]
    assert date(2026, 1, 2) not in public_holidays("KE", "", 2026)
