"""``listing_create`` for a batch of rows (bulk imports): the same rules, each checked
once per batch rather than once per row, and the writes done in bulk.

Every row passes what ``listing_create`` enforces: only the listing fields, a draft or
available first status, a company the actor belongs to (admins: any), an active agent
of that company, known feature slugs, an active company to publish, the same cleaning
(trimmed text, upper-case codes, a title, coordinates in pairs). Each listing gets its
first price in the price history and a ``create`` audit row (with its features, as the
single create does); cached aggregates are bumped once after commit. A row that breaks
a rule gets its error in its place and writes nothing; the others are created."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domus.audit.services import audit_create_many, audit_record
from domus.core.bulk import copy_create
from domus.core.exceptions import DomusError, ValidationFailed, reject_unknown_fields
from domus.core.roles import Role
from domus.organizations.selectors import company_require_active, default_company_id
from domus.properties.geocoding import geocode_listing
from domus.properties.models import DEFAULT_CURRENCY, INITIAL_STATUSES, Feature, Listing, PriceChange
from domus.properties.selectors import features_by_slug
from domus.properties.services import (
    LISTING_FIELDS,
    Actor,
    _agent_for,
    _authenticated,
    _clean_listing,
    _company_for,
    _listings_changed,
    _on_market,
)


def _memo(lookup: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``lookup`` once per distinct key; an error is remembered and raised again."""
    seen: dict[Any, Any] = {}

    def call(key: Any) -> Any:
        if key not in seen:
            try:
                seen[key] = lookup(key)
            except DomusError as error:
                seen[key] = error
        found = seen[key]
        if isinstance(found, DomusError):
            raise found
        return found

    return call


@transaction.atomic
def listing_create_many(*, actor: Actor, rows: list[dict[str, Any]]) -> list[Listing | DomusError]:
    """Create one listing per row (each row: ``listing_create``'s keyword arguments) and
    return, in order, the created listing or the error of the row."""
    default_company = default_company_id(actor) if _authenticated(actor) else None
    company_for = _memo(lambda company_id: _company_for(actor, company_id))
    agent_for = _memo(lambda key: _agent_for(*key))
    publishable = _memo(
        lambda company_id: company_require_active(company_id, field="is_published", doing="publish", lock=True)
    )
    wanted = {slug.strip().lower() for row in rows for slug in (row.get("features") or []) if slug.strip()}
    features = features_by_slug(sorted(wanted)) if wanted else {}
    now = timezone.now()

    outcomes: list[Listing | DomusError] = []
    created: list[Listing] = []
    feature_sets: list[list[Feature]] = []
    for row in rows:
        try:
            listing, chosen = _build(actor, dict(row), default_company, company_for, agent_for, publishable, features)
        except DomusError as error:
            outcomes.append(error)
            continue
        listing.created_at = listing.updated_at = now
        if listing.is_published:
            listing.published_at = now
            if _on_market(listing):
                listing.listed_at = now
        outcomes.append(listing)
        created.append(listing)
        feature_sets.append(chosen)
    if not created:
        return outcomes
    copy_create(Listing, created)
    through = Listing.features.through
    links = [
        through(listing_id=listing.pk, feature_id=feature.pk)
        for listing, chosen in zip(created, feature_sets, strict=True)
        for feature in chosen
    ]
    if links:
        copy_create(through, links)
    changed_by = actor if _authenticated(actor) else None
    copy_create(
        PriceChange,
        [
            PriceChange(
                listing=listing,
                old_price=None,
                new_price=listing.price,
                currency=listing.currency,
                changed_by=changed_by,
                changed_at=now,
            )
            for listing in created
        ],
    )
    audit_create_many(actor=actor, instances=created, company_ids=[listing.company_id for listing in created])
    for listing, chosen in zip(created, feature_sets, strict=True):
        if chosen:
            audit_record(
                actor=actor,
                action="set_features",
                resource_type=listing._meta.label_lower,
                resource_id=listing.pk,
                changes={"features": {"before": [], "after": sorted(feature.slug for feature in chosen)}},
                company_id=listing.company_id,
            )
    _listings_changed()
    if settings.GEOCODE_NEW_LISTINGS:
        pending = [str(listing.pk) for listing in created if listing.latitude is None and listing.longitude is None]
        transaction.on_commit(lambda: [geocode_listing.delay(listing_id) for listing_id in pending], robust=True)
    return outcomes


def _build(
    actor: Actor,
    fields: dict[str, Any],
    default_company: UUID | None,
    company_for: Callable[[Any], Any],
    agent_for: Callable[[Any], Any],
    publishable: Callable[[Any], Any],
    features: dict[str, Feature],
) -> tuple[Listing, list[Feature]]:
    title: str = fields.pop("title", "")
    price: Decimal = fields.pop("price")
    company_id = fields.pop("company_id", None)
    agent_id = fields.pop("agent_id", None)
    slugs = fields.pop("features", None) or []
    status = fields.pop("status", None)
    currency = fields.pop("currency", None)
    reject_unknown_fields(fields, LISTING_FIELDS, "listing")
    if status is not None and status not in INITIAL_STATUSES:
        raise ValidationFailed(
            "A new listing starts as a draft or available.",
            errors={"status": [f"One of: {', '.join(INITIAL_STATUSES)}."]},
        )
    if company_id is None:
        company_id = default_company
    company = company_for(company_id) if company_id is not None else None
    if agent_id is None and _authenticated(actor) and actor.role == Role.AGENT:
        agent_id = actor.pk
    agent = agent_for((agent_id, company_id)) if agent_id is not None else None
    chosen_slugs = sorted({slug.strip().lower() for slug in slugs if slug.strip()})
    unknown = [slug for slug in chosen_slugs if slug not in features]
    if unknown:
        raise ValidationFailed("Unknown features.", errors={"features": [f"Unknown feature: {', '.join(unknown)}."]})
    listing = Listing(
        title=title,
        price=price,
        status=status or INITIAL_STATUSES[0],
        currency=currency or (company.currency if company is not None else DEFAULT_CURRENCY),
        company_id=company_id,
        owner=actor if _authenticated(actor) else None,
        agent=agent,
        **fields,
    )
    if listing.is_published:
        publishable(company_id)
    _clean_listing(listing)
    return listing, [features[slug] for slug in chosen_slugs]
