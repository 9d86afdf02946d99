"""Favorites API: save and unsave listings, list mine (as result cards)."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.properties.schemas import FavoriteListingOut, FavoriteOut
from domus.properties.selectors import listing_get_for_actor
from domus.properties.selectors.favorites import favorite_listings_for_actor
from domus.properties.services.favorites import favorite_add, favorite_remove

router = Router(tags=["favorites"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
OWN = {"x-permission": "self"}


@router.get(
    "/favorites/",
    response={200: list[FavoriteListingOut], 400: ErrorOut, 401: ErrorOut},
    summary="My saved listings, most recently saved first",
    openapi_extra=OWN,
)
@paginate
def favorite_list(request: HttpRequest):
    return favorite_listings_for_actor(actor=request.auth)


@router.post(
    "/{listing_id}/favorite/",
    response={200: FavoriteOut, 201: FavoriteOut, **ERRORS},
    summary="Save a listing (201 the first time, 200 when already saved)",
)
def favorite_create(request: HttpRequest, listing_id: UUID):
    listing = listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    favorite, created = favorite_add(actor=request.auth, listing=listing)
    return Status(201 if created else 200, favorite)


@router.delete("/{listing_id}/favorite/", response={204: None, **ERRORS}, summary="Unsave a listing")
def favorite_delete(request: HttpRequest, listing_id: UUID):
    listing = listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    favorite_remove(actor=request.auth, listing=listing)
    return Status(204, None)
