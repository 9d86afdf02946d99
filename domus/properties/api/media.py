"""Listing media API: upload (multipart), list, reorder, choose the cover, remove."""

from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from domus.accounts.auth import optional_auth
from domus.core.errors import ErrorOut
from domus.core.policies import require
from domus.core.throttling import ScopedRateLimit
from domus.properties import policies
from domus.properties.schemas import MediaOut, MediaPatchIn, MediaUploadIn
from domus.properties.selectors import listing_get_for_actor
from domus.properties.selectors.media import media_get_for_listing, media_list_for_listing
from domus.properties.services import media as services

router = Router(tags=["media"])

MANAGERS = {"x-permission": "listing owner, assigned agent, company staff or admin"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def _managed_listing(request: HttpRequest, listing_id: UUID):
    listing = listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    require(
        policies.can_manage_listing(request.auth, listing),
        "Only the listing's owner, agent, company staff or an admin can change its media.",
    )
    return listing


@router.post(
    "/{listing_id}/media/",
    response={201: MediaOut, **ERRORS},
    throttle=ScopedRateLimit("upload"),
    summary="Upload a photo (JPEG, PNG, WebP), a document or a floor plan (PDF)",
    description="Multipart: `file` plus `kind`, `title`, `is_cover`. Size limit: LISTING_MEDIA_MAX_BYTES (10 MB).",
    openapi_extra=MANAGERS,
)
def media_upload(request: HttpRequest, listing_id: UUID, file: File[UploadedFile], payload: Form[MediaUploadIn]):
    listing = _managed_listing(request, listing_id)
    media = services.media_upload(actor=request.auth, listing=listing, upload=file, **payload.model_dump())
    return Status(201, media)


@router.get(
    "/{listing_id}/media/",
    response={200: list[MediaOut], 400: ErrorOut, 404: ErrorOut},
    auth=optional_auth,
    summary="Media of a listing, in order",
    openapi_extra={"x-permission": "public (drafts: owner, agent, company staff or admin)"},
)
@paginate
def media_list(request: HttpRequest, listing_id: UUID):
    listing = listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    return media_list_for_listing(listing=listing)


@router.patch(
    "/{listing_id}/media/{media_id}/",
    response={200: MediaOut, **ERRORS},
    summary="Change title or position, or make it the cover",
    openapi_extra=MANAGERS,
)
def media_patch(request: HttpRequest, listing_id: UUID, media_id: UUID, payload: MediaPatchIn):
    media = media_get_for_listing(listing=_managed_listing(request, listing_id), media_id=media_id)
    return services.media_update(actor=request.auth, media=media, **payload.model_dump(exclude_unset=True))


@router.delete(
    "/{listing_id}/media/{media_id}/", response={204: None, **ERRORS}, summary="Remove", openapi_extra=MANAGERS
)
def media_delete(request: HttpRequest, listing_id: UUID, media_id: UUID):
    media = media_get_for_listing(listing=_managed_listing(request, listing_id), media_id=media_id)
    services.media_delete(actor=request.auth, media=media)
    return Status(204, None)
