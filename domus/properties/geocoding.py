"""Geocoding of the listing portal: an address to coordinates + a maps URL for the API,
and the background job that fills in the coordinates of a listing created without them.

The provider adapters live in ``domus.integrations.geocoding``; this module adds what
belongs to listings (the maps URL, the audited write of a listing's coordinates)."""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from celery import shared_task
from django.db import transaction

from domus.audit.services import audit_snapshot, audit_update
from domus.core.exceptions import NotFound, ServiceUnavailable, ValidationFailed
from domus.integrations import geocoding as geocoder
from domus.properties.caching import listing_cache_bump
from domus.properties.models import Listing

logger = logging.getLogger("domus.properties.geocoding")

GEOCODE_MAX_RETRIES = 5
GEOCODE_RETRY_BASE_SECONDS = 60


@dataclass(frozen=True)
class GeocodedAddress:
    latitude: Decimal
    longitude: Decimal
    formatted_address: str
    maps_url: str


def address_geocode(*, address: str, city: str, country: str = "") -> GeocodedAddress:
    """Coordinates, the provider's formatted address and a maps URL for an address.
    Raises ``AddressNotFound`` (404), ``ValidationFailed`` (400) or
    ``ServiceUnavailable`` (503)."""
    result = geocoder.geocode(address, city, country)
    # An unsaved listing at these coordinates: the one maps URL the listings answer too.
    maps_url = Listing(latitude=result.latitude, longitude=result.longitude).maps_url
    return GeocodedAddress(
        latitude=result.latitude,
        longitude=result.longitude,
        formatted_address=result.formatted_address,
        maps_url=maps_url,
    )


def _needs_coordinates(listing: Listing | None) -> bool:
    return listing is not None and listing.latitude is None and listing.longitude is None


def listing_geocode(*, listing_id: UUID | str, raise_on_outage: bool = False) -> Listing | None:
    """Look up and store the coordinates of a listing that has none (audited as
    ``geocode``). A no-op when the listing is gone (missing or deleted), already has
    coordinates, or has no address or city. An unknown address is logged; a provider
    outage is logged too, and raised only with ``raise_on_outage`` (for the retrying
    task). Answers the listing, or None when it is gone."""
    listing = Listing.objects.filter(pk=listing_id).first()
    if not _needs_coordinates(listing):
        return listing
    if not (listing.address.strip() or listing.city.strip()):
        return listing
    # The provider is called outside any transaction: no row lock is held over HTTP.
    try:
        result = geocoder.geocode(listing.address, listing.city, listing.country)
    except (NotFound, ValidationFailed) as exc:
        logger.info("listing address not geocoded", extra={"listing_id": str(listing_id), "reason": exc.detail})
        return listing
    except ServiceUnavailable as exc:
        logger.warning("geocoding provider unavailable", extra={"listing_id": str(listing_id), "reason": exc.detail})
        if raise_on_outage:
            raise
        return listing
    return _store_coordinates(listing_id=listing_id, result=result)


@transaction.atomic
def _store_coordinates(*, listing_id: UUID | str, result: geocoder.GeocodeResult) -> Listing | None:
    listing = Listing.objects.select_for_update().filter(pk=listing_id).first()
    if not _needs_coordinates(listing):  # deleted, or given coordinates while we asked
        return listing
    before = audit_snapshot(listing)
    listing.latitude = result.latitude
    listing.longitude = result.longitude
    listing.save(update_fields=["latitude", "longitude", "updated_at"])
    audit_update(actor=None, instance=listing, before=before, action="geocode", company_id=listing.company_id)
    transaction.on_commit(listing_cache_bump, robust=True)  # now on the map: cached clusters are stale
    return listing


@shared_task(bind=True, max_retries=GEOCODE_MAX_RETRIES, ignore_result=True)
def geocode_listing(self: Any, listing_id: str) -> None:
    """Fill in a listing's coordinates in the background. A provider outage is retried
    with exponential backoff (1, 2, 4, ... minutes); the last attempt, and an eager run
    (embedded default, no broker), log the outage instead of failing."""
    final_attempt = bool(self.request.is_eager) or self.request.retries >= self.max_retries
    try:
        listing_geocode(listing_id=listing_id, raise_on_outage=not final_attempt)
    except ServiceUnavailable as exc:
        raise self.retry(exc=exc, countdown=GEOCODE_RETRY_BASE_SECONDS * 2**self.request.retries) from None
