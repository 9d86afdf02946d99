"""Saved searches and their alerts. A search stores listing search filters (validated
like the search's own query); the alert job announces each new match once: matches are
recorded in a table unique per (search, listing), and a search is handled under a row
lock, so the job is safe to run twice or concurrently."""

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import ValidationFailed
from domus.properties.models import AlertFrequency, SavedSearch, SavedSearchMatch
from domus.properties.schemas import ListingFilters, search_filters_schema
from domus.properties.selectors import check_ordering, parse_bbox, parse_near
from domus.properties.selectors.saved_searches import (
    saved_search_for_alert,
    saved_search_ids_due,
    saved_search_new_listing_ids,
)

SAVED_SEARCH_MATCHED = "saved_search.matched"
SAVED_SEARCH_FIELDS = frozenset({"name", "filters", "alert_frequency"})
# Listings published shortly before a run may commit after it; looking back this far
# catches them next time (the match table keeps them from being announced twice).
ALERT_LOOKBACK = timedelta(minutes=15)
EMAIL_LISTINGS = 20


def _json_types(schema: dict[str, Any]) -> set[str]:
    alternatives = schema.get("anyOf", [schema])
    return {alternative.get("type", "string") for alternative in alternatives}  # dates: text


def _is_json_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "null": type(None)}.get(kind, object))


def clean_search_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Listing search filters as the search accepts them; 400 naming each unknown key
    or bad value. Answers them normalised (no empty values, JSON types)."""
    unknown = sorted(set(filters) - set(ListingFilters.model_fields))
    if unknown:
        raise ValidationFailed(
            "Unknown search filters.", errors={f"filters.{key}": ["Not a listing search filter."] for key in unknown}
        )
    # A JSON body states its types (the schema's): false is not a number of bathrooms.
    stated = search_filters_schema()["properties"]
    mistyped = {}
    for key, value in filters.items():
        kinds = _json_types(stated[key])
        if not any(_is_json_type(value, kind) for kind in kinds):
            mistyped[f"filters.{key}"] = [f"Must be {' or '.join(sorted(kinds))}."]
    if mistyped:
        raise ValidationFailed("Invalid search filters.", errors=mistyped)
    try:
        parsed = ListingFilters.model_validate(filters)
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        for problem in error.errors():
            key = "filters." + ".".join(str(part) for part in problem["loc"])
            errors.setdefault(key, []).append(problem["msg"])
        raise ValidationFailed("Invalid search filters.", errors=errors) from None
    try:
        if parsed.bbox:
            parse_bbox(parsed.bbox)
        if parsed.near:
            parse_near(parsed.near)
        check_ordering(parsed)
    except ValidationFailed as error:
        raise ValidationFailed(error.detail, errors={f"filters.{k}": v for k, v in error.errors.items()}) from None
    if parsed.radius_km is not None and not parsed.near:
        raise ValidationFailed("radius_km needs near.", errors={"filters.radius_km": ["Give near with radius_km."]})
    return parsed.model_dump(mode="json", exclude_none=True)


def _apply(search: SavedSearch, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - SAVED_SEARCH_FIELDS)
    if unknown:
        raise ValidationFailed("Unknown fields.", errors={key: ["Not a writable field."] for key in unknown})
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if not fields["name"]:
            raise ValidationFailed("A saved search needs a name.", errors={"name": ["This field may not be blank."]})
    if "filters" in fields:
        fields["filters"] = clean_search_filters(fields["filters"] or {})
    for name, value in fields.items():
        setattr(search, name, value)


@transaction.atomic
def saved_search_create(*, actor: Any, name: str, filters: dict[str, Any], alert_frequency: str) -> SavedSearch:
    """Save a search; only listings that go on the market from now on are announced."""
    search = SavedSearch(user=actor)
    _apply(search, {"name": name, "filters": filters, "alert_frequency": alert_frequency})
    search.last_checked_at = timezone.now()
    search.save(force_insert=True)
    audit_create(actor=actor, instance=search)
    return search


@transaction.atomic
def saved_search_update(*, actor: Any, saved_search: SavedSearch, **fields: Any) -> SavedSearch:
    """Change a saved search's name, filters or alert frequency."""
    before = audit_snapshot(saved_search)
    _apply(saved_search, fields)
    saved_search.save()
    audit_update(actor=actor, instance=saved_search, before=before)
    return saved_search


@transaction.atomic
def saved_search_delete(*, actor: Any, saved_search: SavedSearch) -> None:
    """Remove a saved search and its announced matches."""
    snapshot = audit_snapshot(saved_search)
    search_id = saved_search.pk
    saved_search.delete()
    audit_record(
        actor=actor,
        action="delete",
        resource_type=SavedSearch._meta.label_lower,
        resource_id=search_id,
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
    )


# Alerts ---------------------------------------------------------------------------------------


def saved_search_alerts_run(*, frequency: str) -> int:
    """Announce the new matches of every search alerted at ``frequency``; answers how
    many (search, listing) matches were announced. Each search is its own transaction."""
    if frequency not in AlertFrequency.values or frequency == AlertFrequency.NONE:
        raise ValueError(f"Not an alert frequency: {frequency!r}")
    return sum(saved_search_alert(saved_search_id=search_id) for search_id in saved_search_ids_due(frequency=frequency))


def _mail(to: str, name: str, listing_titles: list[str], total: int) -> None:
    lines = [f"New listings match your saved search “{name}”:", ""]
    lines += [f"- {title}" for title in listing_titles]
    if total > len(listing_titles):
        lines.append(f"... and {total - len(listing_titles)} more.")
    lines += ["", f"See them at {settings.FRONTEND_URL}"]
    send_mail(f"{total} new listing(s) for “{name}”", "\n".join(lines), None, [to])


@transaction.atomic
def saved_search_alert(*, saved_search_id: UUID) -> int:
    """Record and announce the listings newly matching one saved search (e-mail to the
    owner and ``saved_search.matched``, both after commit); answers how many."""
    search = saved_search_for_alert(saved_search_id)
    if search is None:
        return 0
    run_at = timezone.now()
    since = (search.last_checked_at or search.created_at) - ALERT_LOOKBACK
    listing_ids = saved_search_new_listing_ids(saved_search=search, listed_after=since)
    search.last_checked_at = run_at
    if listing_ids:
        SavedSearchMatch.objects.bulk_create(
            [
                SavedSearchMatch(saved_search=search, listing_id=listing_id, matched_at=run_at)
                for listing_id in listing_ids
            ]
        )
        search.last_alerted_at = run_at
    search.save(update_fields=["last_checked_at", "last_alerted_at", "updated_at"])
    if not listing_ids:
        return 0
    audit_record(
        actor=None,
        action="alert",
        resource_type=SavedSearch._meta.label_lower,
        resource_id=search.pk,
        changes={"matched_listing_ids": {"before": None, "after": [str(i) for i in listing_ids]}},
    )
    publish(
        SAVED_SEARCH_MATCHED,
        {"id": str(search.pk), "user_id": str(search.user_id), "listing_ids": [str(i) for i in listing_ids]},
    )
    titles = list(
        SavedSearchMatch.objects.filter(saved_search=search, listing_id__in=listing_ids[:EMAIL_LISTINGS])
        .order_by("listing__published_at")
        .values_list("listing__title", flat=True)
    )
    if search.user.email:
        email, name, total = search.user.email, search.name, len(listing_ids)
        transaction.on_commit(lambda: _mail(email, name, titles, total), robust=True)
    return len(listing_ids)
