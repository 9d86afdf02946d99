"""Public holidays of a country (and subdivision), from the ``holidays`` package: one
cached lookup shared by attendance plans and maintenance SLA clocks."""

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType

import holidays


@lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str, year: int) -> Mapping[date, str]:
    """The public holidays of ``country`` (ISO 3166 code) and ``subdivision`` in ``year``,
    day to name; none for a blank country or one the package has no calendar for. The
    answer is cached and read-only."""
    if not country:
        return MappingProxyType({})
    try:
        calendar = holidays.country_holidays(country.upper(), subdiv=subdivision or None, years=year)
    except (NotImplementedError, KeyError):  # how ``holidays`` says it has no calendar for the country
        return MappingProxyType({})
    return MappingProxyType(dict(calendar.items()))
