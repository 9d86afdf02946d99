"""Reads of listing media (photos, documents, floor plans)."""

from uuid import UUID

from django.db.models import Max, QuerySet

from domus.core.exceptions import NotFound
from domus.properties.models import Listing, ListingMedia, MediaKind


def media_list_for_listing(*, listing: Listing) -> QuerySet[ListingMedia]:
    return ListingMedia.objects.filter(listing=listing).order_by("position", "created_at", "pk")


def media_get_for_listing(*, listing: Listing, media_id: UUID) -> ListingMedia:
    media = ListingMedia.objects.filter(listing=listing, pk=media_id).first()
    if media is None:
        raise NotFound("Media not found.")
    return media


def media_next_position(*, listing: Listing) -> int:
    highest = ListingMedia.objects.filter(listing=listing).aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


def media_cover_of(*, listing: Listing) -> ListingMedia | None:
    return ListingMedia.objects.filter(listing=listing, is_cover=True).first()


def media_first_image(*, listing: Listing) -> ListingMedia | None:
    return media_list_for_listing(listing=listing).filter(kind=MediaKind.IMAGE).first()


def media_for_thumbnail(media_id: UUID) -> ListingMedia | None:
    return ListingMedia.objects.filter(pk=media_id, kind=MediaKind.IMAGE).first()
