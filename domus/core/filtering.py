"""The one filtering helper of every list: ``search``, ``ordering`` from a whitelist,
and ``created_after/before``, ``updated_after/before``."""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator

from domus.core.exceptions import ValidationFailed


class ListFilters(Schema):
    """Query parameters every list accepts; apps extend it with their own fields."""

    search: str | None = Field(None, max_length=200, description="Case-insensitive text search.")
    ordering: str | None = Field(None, max_length=200, description="Comma-separated fields, '-' for descending.")
    created_after: date | datetime | None = None
    created_before: date | datetime | None = None
    updated_after: date | datetime | None = None
    updated_before: date | datetime | None = None


def one_of(values: Callable[[], Collection[str]]) -> Any:
    """A text filter limited to ``values()``, a set known only once the apps are loaded
    (e.g. model labels): another value is a 400 listing the allowed ones, not an empty
    list, and the schema shows them as an ``enum``."""

    def allowed(value: str) -> str:
        choices = values()
        if value not in choices:
            raise ValueError(f"Unknown value {value!r}; one of: {', '.join(sorted(choices))}.")
        return value

    def enum(schema: dict[str, Any]) -> None:
        schema["enum"] = sorted(values())

    return Annotated[str, AfterValidator(allowed), Field(json_schema_extra=enum)]


def _as_datetime(value: datetime | date, *, end_of_day: bool) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.max if end_of_day else time.min)
    return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.UTC)


def order_by_whitelist(
    queryset: QuerySet,
    ordering: str | None,
    allowed: Iterable[str],
    default: Sequence[str],
    *,
    aliases: Mapping[str, str] | None = None,
    also: Iterable[str] = (),
) -> QuerySet:
    """Order by the requested fields when each is in ``allowed`` (or is a public name in
    ``aliases`` of one); 400 otherwise, listing every value the list accepts, including
    the values it handles before calling this (``also``)."""
    if not ordering:
        return queryset.order_by(*default)
    allowed, aliases = set(allowed), aliases or {}
    asked = [f.strip() for f in ordering.split(",") if f.strip()]
    fields = [("-" if term.startswith("-") else "") + aliases.get(term.lstrip("-"), term.lstrip("-")) for term in asked]
    refused = [term for term, field in zip(asked, fields, strict=True) if field.lstrip("-") not in allowed]
    if refused:
        public = {name for name, column in aliases.items() if column in allowed}
        shown = (allowed - {aliases[name] for name in public}) | public | set(also)
        raise ValidationFailed(
            "Unknown ordering field.",
            errors={"ordering": [f"Cannot order by {', '.join(refused)}; allowed: {', '.join(sorted(shown))}."]},
        )
    return queryset.order_by(*fields, "-pk")


def filter_list(
    queryset: QuerySet,
    filters: ListFilters,
    *,
    exact_fields: Sequence[str] = (),
    search_fields: Sequence[str] = (),
    ordering_fields: Iterable[str] = ("created_at", "updated_at"),
    default_ordering: Sequence[str] = ("-created_at", "-pk"),
) -> QuerySet:
    """Apply the common list parameters to ``queryset``, and an equality filter for each
    of ``exact_fields`` that ``filters`` gives (a field of the same name)."""
    for field in exact_fields:
        value = getattr(filters, field)
        if value is not None:
            queryset = queryset.filter(**{field: value})
    if filters.search and search_fields:
        term = filters.search.strip()
        condition = Q()
        for field in search_fields:
            condition |= Q(**{f"{field}__icontains": term})
        queryset = queryset.filter(condition)
    for name, lookup, end_of_day in (
        ("created_after", "created_at__gte", False),
        ("created_before", "created_at__lte", True),
        ("updated_after", "updated_at__gte", False),
        ("updated_before", "updated_at__lte", True),
    ):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{lookup: _as_datetime(value, end_of_day=end_of_day)})
    return order_by_whitelist(queryset, filters.ordering, ordering_fields, default_ordering)
