"""The one pagination of every list: ``page``/``page_size`` or ``limit``/``offset``
(``skip`` is an alias of offset), answering
``{"count","next","previous","page","total_pages","results"}``.

Any mix of the five is well formed, so the schema and the service agree on every
combination: ``limit`` and ``page_size`` both set the page size (``limit`` wins),
``offset`` and ``skip`` both set the start (``offset`` wins) and a start overrides
``page``. The depth limit is stated as maxima: ``offset``/``skip`` at most
``PAGINATION_MAX_OFFSET``, ``page`` at most the page whose start is that deep at the
largest page size (so no ``page`` the schema allows is refused at any size)."""

import math
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from domus.core.exceptions import ValidationFailed

MAX_PAGE_SIZE = 100


def _check_depth(offset: int, field: str) -> None:
    """No list is read past ``PAGINATION_MAX_OFFSET`` rows: a deeper page is a 400 (the
    database would scan every skipped row, and an offset past 2**63 cannot be sent)."""
    deepest = settings.PAGINATION_MAX_OFFSET
    if offset > deepest:
        raise ValidationFailed(
            f"Lists are paged at most {deepest:,} items deep; narrow the list with filters instead.",
            errors={field: [f"Skips {offset:,} items; at most {deepest:,}."]},
        )


class PageOrOffsetPagination(PaginationBase):
    items_attribute = "results"

    class Input(Schema):
        page: int | None = Field(
            None, ge=1, le=settings.PAGINATION_MAX_OFFSET // MAX_PAGE_SIZE + 1, description="1-based page number."
        )
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE, description="Items per page (default 20, max 100).")
        limit: int | None = Field(
            None, ge=1, le=MAX_PAGE_SIZE, description="Items to return (offset style; wins over page_size)."
        )
        offset: int | None = Field(
            None,
            ge=0,
            le=settings.PAGINATION_MAX_OFFSET,
            description="Items to skip (offset style; wins over skip and page).",
        )
        skip: int | None = Field(None, ge=0, le=settings.PAGINATION_MAX_OFFSET, description="Alias of offset.")

    class Output(Schema):
        count: int
        next: str | None
        previous: str | None
        page: int
        total_pages: int
        results: list[Any]

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        default_size = settings.NINJA_PAGINATION_PER_PAGE
        offset_style = any(v is not None for v in (pagination.limit, pagination.offset, pagination.skip))
        size = pagination.limit or pagination.page_size or default_size
        if pagination.offset is not None or pagination.skip is not None:
            offset = pagination.offset if pagination.offset is not None else pagination.skip
        else:
            offset = ((pagination.page or 1) - 1) * size
        _check_depth(offset, "offset" if offset_style else "page")
        count = self._items_count(queryset)
        results = list(queryset[offset : offset + size])
        page = offset // size + 1
        # Past the end, previous is the last page that has results (none when nothing matched).
        previous = min(offset - size, (math.ceil(count / size) - 1) * size if offset >= count else offset - size)
        return {
            "count": count,
            "next": self._link(request, offset + size, size, offset_style) if offset + size < count else None,
            "previous": self._link(request, max(0, previous), size, offset_style) if offset > 0 and count else None,
            "page": page,
            "total_pages": math.ceil(count / size) if count else 0,
            "results": results,
        }

    @staticmethod
    def _link(request: HttpRequest, offset: int, size: int, offset_style: bool) -> str:
        query = request.GET.copy()
        for name in ("page", "page_size", "limit", "offset", "skip"):
            query.pop(name, None)
        if offset_style:
            query["limit"], query["offset"] = str(size), str(offset)
        else:
            query["page"], query["page_size"] = str(offset // size + 1), str(size)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
