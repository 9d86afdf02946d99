"""Reads of favorites: a user's own saved listings, as result cards."""

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from domus.properties.models import Favorite, Listing
from domus.properties.selectors import listing_cards, listing_visible_to


def favorite_listings_for_actor(*, actor: Any) -> QuerySet[Listing]:
    """The listings ``actor`` saved and may still read, most recently saved first, each
    with ``favorited_at``."""
    mine = Favorite.objects.filter(user_id=actor.pk)
    queryset = (
        listing_visible_to(actor)
        .filter(pk__in=mine.values("listing_id"))
        .annotate(favorited_at=Subquery(mine.filter(listing_id=OuterRef("pk")).values("created_at")[:1]))
        .order_by("-favorited_at", "-pk")
    )
    return listing_cards(queryset)


def favorite_of(*, actor: Any, listing: Listing) -> Favorite | None:
    return Favorite.objects.filter(user_id=actor.pk, listing=listing).first()
