"""The listing search's pagination: the core's page/offset pagination with a count
that stays cheap on huge result sets (``selectors.listing_count``) and a page read in
two steps (``PageByIds``)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from domus.core.pagination import PageOrOffsetPagination
from domus.properties.selectors import listing_count


class PageByIds:
    """A queryset whose slices read the page's ids first, then only those rows (a
    "deferred join"): the ids of an ordered page come from an index alone where the
    ordering is indexed (distance from ``near`` on the geo index, newest in a city),
    so the rows skipped or sorted away are never read from the table."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset

    def __getitem__(self, page: slice) -> list[Any]:
        ids = list(self.queryset.values_list("pk", flat=True)[page])
        rows = {row.pk: row for row in self.queryset.filter(pk__in=ids)} if ids else {}
        return [rows[pk] for pk in ids if pk in rows]


class ListingSearchPagination(PageOrOffsetPagination):
    def paginate_queryset(self, queryset: QuerySet, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        return super().paginate_queryset(PageByIds(queryset), pagination, request, **params)

    def _items_count(self, queryset: Any) -> int:
        return listing_count(queryset.queryset)
