"""Reads of saved searches (their owner's only) and of the listings that newly match
one (through the listing search itself)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from domus.core.exceptions import NotFound
from domus.core.filtering import ListFilters, filter_list
from domus.properties.models import ListingStatus, SavedSearch, SavedSearchMatch
from domus.properties.schemas import ListingFilters
from domus.properties.selectors import listing_list_for_actor


def saved_search_list_for_actor(*, actor: Any, filters: ListFilters) -> QuerySet[SavedSearch]:
    return filter_list(
        SavedSearch.objects.filter(user_id=actor.pk),
        filters,
        search_fields=["name"],
        ordering_fields=["name", "created_at"],
        default_ordering=["-created_at", "-pk"],
    )


def saved_search_get_for_actor(*, actor: Any, saved_search_id: UUID) -> SavedSearch:
    """The caller's own saved search; 404 for anyone else's."""
    search = SavedSearch.objects.filter(user_id=actor.pk, pk=saved_search_id).first()
    if search is None:
        raise NotFound("Saved search not found.")
    return search


def saved_search_ids_due(*, frequency: str) -> list[UUID]:
    """Searches of active users alerted at ``frequency``."""
    queryset = SavedSearch.objects.filter(alert_frequency=frequency, user__is_active=True)
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def saved_search_for_alert(saved_search_id: UUID) -> SavedSearch | None:
    """The search with its owner, locked until the end of the transaction: two alert
    runs handle one search one after the other."""
    return SavedSearch.objects.select_for_update().select_related("user").filter(pk=saved_search_id).first()


def saved_search_new_listing_ids(*, saved_search: SavedSearch, listed_after: datetime) -> list[UUID]:
    """Listings on the market (published and available) that went on it after
    ``listed_after`` (new, published at last, or back from rented, sold, under offer or
    archived), match the search's filters and were never announced for it."""
    filters = ListingFilters.model_validate(saved_search.filters)
    announced = SavedSearchMatch.objects.filter(saved_search=saved_search).values("listing_id")
    matching = (
        listing_list_for_actor(actor=None, filters=filters)
        .filter(status=ListingStatus.AVAILABLE, listed_at__gt=listed_after)
        .exclude(pk__in=announced)
        .order_by("listed_at", "pk")
    )
    return list(matching.values_list("pk", flat=True))
