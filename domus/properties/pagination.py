"""The listing search's pagination: the core's page/offset pagination with a count
that stays cheap on huge result sets and is cached until the next listing write
(``selectors.listing_count_cached``) and a page read in
two steps (``PageByIds``)."""

from typing import Any

from django.http import HttpRequest

from domus.core.pagination import PageOrOffsetPagination
from domus.properties.selectors import ListingSearch, listing_search_count


class PageByIds:
    """A search whose slices read the page's ids first, then only those rows (a
    "deferred join"): the ids of an ordered page come from an index alone where the
    ordering is indexed (nearest first on the earth index, newest in a city), so the
    rows skipped or sorted away are never read from the table."""

    def __init__(self, search: ListingSearch) -> None:
        self.search = search

    def __getitem__(self, page: slice) -> list[Any]:
        shape = self.search.shape
        if shape is not None and page.step is None and (page.start or 0) >= 0 and (page.stop or 0) > 0:
            # The same statements from SQL compiled once for the search's shape.
            ids = shape.page_ids(page.start or 0, page.stop)
            listings = shape.listings(ids) if ids else []
            if listings is not None:
                return listings
        else:
            ids = list(self.search.page_ids.values_list("pk", flat=True)[page])
        rows = {row.pk: row for row in self.search.rows.filter(pk__in=ids)} if ids else {}
        return [rows[pk] for pk in ids if pk in rows]


class ListingSearchPagination(PageOrOffsetPagination):
    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        return super().paginate_queryset(PageByIds(queryset), pagination, request, **params)

    def _items_count(self, queryset: Any) -> int:
        return listing_search_count(queryset.search)
