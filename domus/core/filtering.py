"""The one filtering helper of every list: ``search``, ``ordering`` from a whitelist,
and ``created_after/before``, ``updated_after/before``; and ``DateOrDateTime``, the
one type of every date filter of the API."""

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from ninja import Field, Schema
from pydantic import AfterValidator, PlainSerializer, PlainValidator, TypeAdapter, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError

from domus.core.exceptions import ValidationFailed

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_DATETIME = TypeAdapter(datetime)


def _date_or_datetime(value: Any) -> date | datetime:
    """A bare ``YYYY-MM-DD`` is a date (the whole day); anything else must be an ISO
    8601 date-time, made aware (a naive one is UTC). A date-time at midnight stays a
    date-time: it is that instant, not the day."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str) and _BARE_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("Not a valid date.") from None
    else:
        try:
            if not (isinstance(value, str) and _ISO_DATETIME.match(value.strip())):
                raise ValueError
            parsed = _DATETIME.validate_python(value.strip())
        except (ValueError, PydanticValidationError):
            raise ValueError("Enter a date (2025-01-31) or an ISO 8601 date-time (2025-01-31T10:00:00Z).") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


DateOrDateTime = Annotated[
    date | datetime,
    PlainValidator(_date_or_datetime),
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
            "description": "A date (the whole day, UTC) or an ISO 8601 date-time (UTC when it has no offset).",
        }
    ),
]


def first_instant(value: date | datetime) -> datetime:
    """The instant a date filter starts at: a date's midnight (UTC), a date-time itself."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def last_instant(value: date | datetime) -> datetime:
    """The instant a date filter ends at: a date's last microsecond (UTC), a date-time itself."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.max, tzinfo=UTC)
    return first_instant(value)


def ordering_pattern(fields: Iterable[str]) -> str:
    """The pattern of an ``ordering`` value over ``fields``: comma-separated fields, each
    with an optional ``-``, or empty (the default order)."""
    term = f" *-?(?:{'|'.join(sorted(map(re.escape, fields)))}) *"
    return f"^$|^{term}(?:,{term})*$"


def ordering_of(*fields: str, more: str = "") -> Any:
    """The ``ordering`` parameter of a list ordered by ``fields`` (the whitelist its
    selector passes to ``filter_list``), stated in the schema as a pattern; ``more``
    describes values the list also takes under a condition the schema cannot state."""
    listed = ", ".join(fields)
    return Field(
        None,
        max_length=200,
        description=f"Comma-separated fields, '-' for descending: {listed}.{' ' + more if more else ''}",
        json_schema_extra={"pattern": ordering_pattern(fields)},
    )


class ListFilters(Schema):
    """Query parameters every list accepts; apps extend it with their own fields."""

    search: str | None = Field(None, max_length=200, description="Case-insensitive text search.")
    # A list ordered by other fields states them with its own ``ordering_of(...)``.
    ordering: str | None = ordering_of("created_at", "updated_at")
    created_after: DateOrDateTime | None = None
    created_before: DateOrDateTime | None = None
    updated_after: DateOrDateTime | None = None
    updated_before: DateOrDateTime | None = None


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
    for name, lookup, instant in (
        ("created_after", "created_at__gte", first_instant),
        ("created_before", "created_at__lte", last_instant),
        ("updated_after", "updated_at__gte", first_instant),
        ("updated_before", "updated_at__lte", last_instant),
    ):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{lookup: instant(value)})
    return order_by_whitelist(queryset, filters.ordering, ordering_fields, default_ordering)
