"""Every write of listings, their units and the feature taxonomy. Each one is atomic
and audited; status and price changes publish their events after commit."""

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from domus.accounts.selectors import active_user
from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import Conflict, NotFound, UnknownReference, ValidationFailed, reject_unknown_fields
from domus.core.money import money_str
from domus.core.roles import Role
from domus.organizations.selectors import (
    company_get_for_actor,
    company_require_active,
    default_company_id,
    user_company_role,
)
from domus.properties.caching import listing_cache_bump
from domus.properties.geocoding import geocode_listing
from domus.properties.models import (
    DEFAULT_CURRENCY,
    INITIAL_STATUSES,
    Feature,
    Listing,
    ListingStatus,
    PriceChange,
    Unit,
)
from domus.properties.selectors import features_by_slug, listing_for_update, unit_number_taken

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

    Actor = AbstractUser | None
else:
    Actor = Any

STATUS_CHANGED = "listing.status_changed"
PRICE_CHANGED = "listing.price_changed"
# Published and available for the first time, or back on the market (``listed_at`` set).
LISTED = "listing.listed"
CREATED = "listing.created"
LISTING_FIELDS = frozenset(
    {
        "title",
        "description",
        "property_type",
        "listing_type",
        "status",
        "price",
        "currency",
        "bedrooms",
        "bathrooms",
        "area_m2",
        "year_built",
        "address",
        "city",
        "state",
        "zip_code",
        "country",
        "latitude",
        "longitude",
        "total_units",
        "is_published",
    }
)
UNIT_FIELDS = frozenset({"unit_number", "floor", "unit_type", "bedrooms", "bathrooms", "area_m2", "price", "status"})
_STRIPPED = ("title", "description", "address", "city", "state", "zip_code")


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _company_for(actor: Actor, company_id: UUID) -> Any:
    """A company the actor belongs to (admins: any live company); 400 otherwise."""
    try:
        return company_get_for_actor(actor=actor, company_id=company_id)
    except NotFound:
        raise UnknownReference(
            "Unknown company.", errors={"company_id": ["Unknown company, or not one you belong to."]}
        ) from None


def _agent_for(agent_id: UUID, company_id: UUID | None) -> Any:
    """An active user with the agent role (a member of the listing's company when it has one)."""
    agent = active_user(agent_id)
    if agent is None or agent.role != Role.AGENT:
        raise UnknownReference("Unknown agent.", errors={"agent_id": ["Not an active agent."]})
    if company_id is not None and user_company_role(agent, company_id) is None:
        raise UnknownReference("Unknown agent.", errors={"agent_id": ["The agent is not a member of the company."]})
    return agent


def _features_for(slugs: list[str]) -> list[Feature]:
    wanted = sorted({slug.strip().lower() for slug in slugs if slug.strip()})
    found = features_by_slug(wanted)
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise ValidationFailed("Unknown features.", errors={"features": [f"Unknown feature: {', '.join(unknown)}."]})
    return [found[slug] for slug in wanted]


def _clean_listing(listing: Listing) -> None:
    for name in _STRIPPED:
        setattr(listing, name, getattr(listing, name).strip())
    listing.currency = listing.currency.upper()
    listing.country = listing.country.upper()
    if not listing.title:
        raise ValidationFailed("The title is required.", errors={"title": ["This field may not be blank."]})
    if (listing.latitude is None) != (listing.longitude is None):
        raise ValidationFailed(
            "Coordinates come in pairs.", errors={"latitude": ["Give both latitude and longitude, or neither."]}
        )


def _listings_changed() -> None:
    """Cached facets and map clusters are stale once this transaction commits."""
    transaction.on_commit(listing_cache_bump, robust=True)


def _record_price(*, actor: Actor, listing: Listing, old_price: Decimal | None) -> None:
    PriceChange.objects.create(
        listing=listing,
        old_price=old_price,
        new_price=listing.price,
        currency=listing.currency,
        changed_by=actor if _authenticated(actor) else None,
        changed_at=timezone.now(),
    )


# Listings -------------------------------------------------------------------------------------


@transaction.atomic
def listing_create(
    *,
    actor: Actor,
    title: str,
    price: Decimal,
    company_id: UUID | None = None,
    agent_id: UUID | None = None,
    features: list[str] | None = None,
    status: str | None = None,
    currency: str | None = None,
    **fields: Any,
) -> Listing:
    """Create a listing owned by ``actor``, in ``draft`` (or ``available``). Without
    ``company_id`` it belongs to the actor's only company (a platform admin's: the
    platform's default company); an agent creating it is its agent unless another is
    named. Its currency defaults to its company's, else KES. The first price is recorded in the
    price history. A listing without coordinates is geocoded in the background after
    commit (``GEOCODE_NEW_LISTINGS``)."""
    reject_unknown_fields(fields, LISTING_FIELDS, "listing")
    if status is not None and status not in INITIAL_STATUSES:
        raise ValidationFailed(
            "A new listing starts as a draft or available.",
            errors={"status": [f"One of: {', '.join(INITIAL_STATUSES)}."]},
        )
    if company_id is None and _authenticated(actor):
        company_id = default_company_id(actor)
    company = _company_for(actor, company_id) if company_id is not None else None
    if agent_id is None and _authenticated(actor) and actor.role == Role.AGENT:
        agent_id = actor.pk
    agent = _agent_for(agent_id, company_id) if agent_id is not None else None
    listing = Listing(
        title=title,
        price=price,
        status=status or INITIAL_STATUSES[0],
        currency=currency or (company.currency if company is not None else DEFAULT_CURRENCY),
        company_id=company_id,
        owner=actor,
        agent=agent,
        **fields,
    )
    if listing.is_published:
        company_require_active(company_id, field="is_published", doing="publish listings", lock=True)
        listing.published_at = timezone.now()
    if _on_market(listing):
        listing.listed_at = listing.published_at
    _clean_listing(listing)
    listing.save(force_insert=True)
    if features:
        listing.features.set(_features_for(features))
    _record_price(actor=actor, listing=listing, old_price=None)
    audit_create(actor=actor, instance=listing, company_id=listing.company_id)
    if _on_market(listing):
        _publish_listed(listing)
    if features:
        audit_record(
            actor=actor,
            action="set_features",
            resource_type=listing._meta.label_lower,
            resource_id=listing.pk,
            changes={"features": {"before": [], "after": sorted(f.slug for f in listing.features.all())}},
            company_id=listing.company_id,
        )
    _listings_changed()
    publish(
        CREATED,
        {
            "id": str(listing.pk),
            "company_id": str(listing.company_id) if listing.company_id else None,
            "status": listing.status,
            "actor_id": str(actor.pk) if _authenticated(actor) else None,
        },
    )
    if settings.GEOCODE_NEW_LISTINGS and listing.latitude is None and listing.longitude is None:
        listing_id = str(listing.pk)
        transaction.on_commit(lambda: geocode_listing.delay(listing_id), robust=True)
    return listing


@transaction.atomic
def company_listings_unpublish(*, actor: Actor, company_id: UUID) -> int:
    """Take every published listing of the company off the portal (each one audited and
    announced like any unpublishing); answers how many."""
    ids = list(Listing.objects.filter(company_id=company_id, is_published=True).values_list("pk", flat=True))
    for listing in Listing.objects.filter(pk__in=ids).order_by("pk"):
        listing_update(actor=actor, listing=listing, is_published=False)
    return len(ids)


def _move_status(listing: Listing, new_status: str) -> None:
    allowed = listing.allowed_next_statuses()
    if new_status not in allowed:
        raise Conflict(
            f"A listing cannot move from {listing.status} to {new_status}.",
            errors={"status": [f"Allowed next statuses: {', '.join(allowed) or 'none'}."]},
        )
    listing.status = new_status


def _publish_listed(listing: Listing) -> None:
    publish(
        LISTED,
        {
            "id": str(listing.pk),
            "company_id": str(listing.company_id) if listing.company_id else None,
            "listed_at": listing.listed_at.isoformat() if listing.listed_at else None,
        },
    )


def _on_market(listing: Listing) -> bool:
    """Published and available: what saved-search alerts announce (``listed_at``)."""
    return listing.is_published and listing.status == ListingStatus.AVAILABLE


@transaction.atomic
def listing_update(*, actor: Actor, listing: Listing, **fields: Any) -> Listing:
    """Change some of a listing's fields. The status moves only along
    ``STATUS_TRANSITIONS`` (409 otherwise); a price change is recorded in the price
    history; status and price changes publish events after commit."""
    features = fields.pop("features", None)
    company_given = "company_id" in fields
    company_id = fields.pop("company_id", None)
    agent_given = "agent_id" in fields
    agent_id = fields.pop("agent_id", None)
    reject_unknown_fields(fields, LISTING_FIELDS, "listing")

    listing = listing_for_update(listing.pk)
    before = audit_snapshot(listing)
    old_status, old_price, old_currency = listing.status, listing.price, listing.currency
    was_on_market, was_published, old_company_id = _on_market(listing), listing.is_published, listing.company_id
    new_status = fields.pop("status", None)
    if new_status is not None and new_status != listing.status:
        _move_status(listing, new_status)
    if company_given and company_id != listing.company_id:
        if company_id is not None:
            _company_for(actor, company_id)
        listing.company_id = company_id
    if agent_given:
        listing.agent = _agent_for(agent_id, listing.company_id) if agent_id is not None else None
    for name, value in fields.items():
        setattr(listing, name, value)
    if listing.is_published and (not was_published or listing.company_id != old_company_id):
        company_require_active(listing.company_id, field="is_published", doing="publish listings", lock=True)
    if listing.is_published and listing.published_at is None:
        listing.published_at = timezone.now()
    elif not listing.is_published:
        listing.published_at = None
    listed = _on_market(listing) and not was_on_market
    if listed:  # new, published at last, or back on the market
        listing.listed_at = timezone.now()
    _clean_listing(listing)
    listing.save()

    features_changed = False
    if features is not None:
        before_slugs = sorted(f.slug for f in listing.features.all())
        chosen = _features_for(features)
        listing.features.set(chosen)
        after_slugs = sorted(f.slug for f in chosen)
        if after_slugs != before_slugs:
            features_changed = True
            audit_record(
                actor=actor,
                action="set_features",
                resource_type=listing._meta.label_lower,
                resource_id=listing.pk,
                changes={"features": {"before": before_slugs, "after": after_slugs}},
                company_id=listing.company_id,
            )
    updated = audit_update(actor=actor, instance=listing, before=before, company_id=listing.company_id)
    if updated is not None or features_changed:
        _listings_changed()

    if listing.price != old_price or listing.currency != old_currency:
        _record_price(actor=actor, listing=listing, old_price=old_price)
        publish(
            PRICE_CHANGED,
            {
                "id": str(listing.pk),
                "company_id": str(listing.company_id) if listing.company_id else None,
                "old_price": money_str(old_price) if old_price is not None else None,
                "old_currency": old_currency,
                "new_price": money_str(listing.price),
                "currency": listing.currency,
                "actor_id": str(actor.pk) if _authenticated(actor) else None,
            },
        )
    if listed:
        _publish_listed(listing)
    if listing.status != old_status:
        publish(
            STATUS_CHANGED,
            {
                "id": str(listing.pk),
                "company_id": str(listing.company_id) if listing.company_id else None,
                "from": old_status,
                "to": listing.status,
                "actor_id": str(actor.pk) if _authenticated(actor) else None,
            },
        )
    return listing


@transaction.atomic
def listing_delete(*, actor: Actor, listing: Listing) -> None:
    """Soft-delete a listing: it disappears from every list and search; the row stays
    for the audit trail, the price history and the admin."""
    before = audit_snapshot(listing)
    listing.deleted_at = timezone.now()
    listing.save(update_fields=["deleted_at", "updated_at"])
    audit_update(actor=actor, instance=listing, before=before, action="delete", company_id=listing.company_id)
    _listings_changed()


# Units ------------------------------------------------------------------------------------------


def _unit_number_free(listing: Listing, unit_number: str, exclude: Unit | None = None) -> None:
    if unit_number_taken(listing=listing, unit_number=unit_number, exclude=exclude):
        raise Conflict(
            "This listing already has a unit with that number.",
            errors={"unit_number": [f"Unit {unit_number} already exists."]},
        )


def _save_unit(unit: Unit) -> None:
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        # Another request took the number between our check and our write.
        raise Conflict(
            "This listing already has a unit with that number.",
            errors={"unit_number": [f"Unit {unit.unit_number} already exists."]},
        ) from None
    unit.refresh_from_db()  # answer the stored values (decimals at their scale)


@transaction.atomic
def unit_create(*, actor: Actor, listing: Listing, unit_number: str, **fields: Any) -> Unit:
    """Add a unit to a listing; its number is unique within the listing (409 otherwise)."""
    reject_unknown_fields(fields, UNIT_FIELDS, "unit")
    unit_number = unit_number.strip()
    _unit_number_free(listing, unit_number)
    unit = Unit(listing=listing, unit_number=unit_number, **fields)
    _save_unit(unit)
    audit_create(actor=actor, instance=unit, company_id=listing.company_id)
    return unit


@transaction.atomic
def unit_update(*, actor: Actor, unit: Unit, **fields: Any) -> Unit:
    """Change some of a unit's fields."""
    reject_unknown_fields(fields, UNIT_FIELDS, "unit")
    before = audit_snapshot(unit)
    if "unit_number" in fields:
        fields["unit_number"] = fields["unit_number"].strip()
        _unit_number_free(unit.listing, fields["unit_number"], exclude=unit)
    for name, value in fields.items():
        setattr(unit, name, value)
    _save_unit(unit)
    audit_update(actor=actor, instance=unit, before=before, company_id=unit.listing.company_id)
    return unit


@transaction.atomic
def unit_delete(*, actor: Actor, unit: Unit) -> None:
    """Remove a unit (audited with its last state)."""
    snapshot = audit_snapshot(unit)
    unit_id, company_id = unit.pk, unit.listing.company_id
    unit.delete()
    audit_record(
        actor=actor,
        action="delete",
        resource_type=Unit._meta.label_lower,
        resource_id=unit_id,
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
        company_id=company_id,
    )


# Features -----------------------------------------------------------------------------------------


def _name_digest_slug(name: str) -> str:
    # A name with no letter or digit in ASCII (e.g. all Chinese) still gets a URL-safe slug.
    return f"feature-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


@transaction.atomic
def feature_create(*, actor: Actor, name: str, slug: str | None = None) -> Feature:
    """Add a feature to the taxonomy; its slug (from the name unless given) never changes."""
    name = name.strip()
    if not name:
        raise ValidationFailed("A feature needs a name.", errors={"name": ["This field may not be blank."]})
    slug = slugify(slug or name)[:100].strip("-") or _name_digest_slug(name)
    if features_by_slug([slug]):
        raise Conflict("A feature with this slug exists.", errors={"slug": [f"{slug} is taken."]})
    feature = Feature.objects.create(name=name, slug=slug)
    audit_create(actor=actor, instance=feature)
    return feature
