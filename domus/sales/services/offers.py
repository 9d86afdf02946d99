"""Offers on listings and units, their counter chain, acceptance and expiry."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.accounts.selectors import active_user_for_field
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, UnknownReference, ValidationFailed
from domus.core.money import currency_of, quantize
from domus.crm import selectors as crm_selectors
from domus.organizations.selectors import company_require_active, is_company_worker
from domus.properties import selectors as property_selectors
from domus.properties import services as property_services
from domus.sales import selectors
from domus.sales.models import (
    Offer,
    OfferParty,
    OfferStatus,
)
from domus.sales.services.events import (
    OFFER_ACCEPTED,
    OFFER_COUNTERED,
    OFFER_DECLINED,
    OFFER_EXPIRED,
    OFFER_RECEIVED,
    event,
)

OFFERABLE_LISTING_STATUSES = ("available",)


def _seller_side(offer: Offer) -> list[Any]:
    return [offer.listing.agent_id, offer.listing.owner_id]


def _buyer_side(offer: Offer) -> list[Any]:
    return [offer.buyer_id, offer.created_by_id]


# Offers -------------------------------------------------------------------------------------


@transaction.atomic
def offer_create(
    *,
    actor: Any,
    listing_id: UUID,
    amount: Decimal,
    unit_id: UUID | None = None,
    client_id: UUID | None = None,
    buyer_id: UUID | None = None,
    currency: str | None = None,
    conditions: str = "",
    expires_at: Any = None,
) -> Offer:
    """A buyer's offer on an available listing or unit, in the listing's currency (another is a
    400 naming ``currency``). Company agents and staff record offers for one of the company's
    clients (``client_id``), or for a buyer (``buyer_id``: a client of the company, or a user,
    through the company's client record of that user when it has one); a customer offers
    for themself."""
    try:
        listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    except NotFound:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["No such listing."]}) from None
    if listing.company_id is None:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["This listing takes no offers here."]})
    company_require_active(listing.company_id, field="listing_id", doing="take offers")
    if listing.status not in OFFERABLE_LISTING_STATUSES:  # a listing under offer takes none for its units either
        raise Conflict(
            "This listing takes no offers now.", errors={"listing_id": [f"The listing is {listing.status}."]}
        )
    unit = None
    if unit_id is not None:
        try:
            unit = property_selectors.unit_get_for_listing(listing=listing, unit_id=unit_id)
        except NotFound:
            raise UnknownReference("Unknown unit.", errors={"unit_id": ["Not a unit of this listing."]}) from None
        if unit.status != "available":
            raise Conflict("This unit is not available.", errors={"unit_id": [f"The unit is {unit.status}."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("Invalid expiry.", errors={"expires_at": ["Must be in the future."]})
    currency = currency_of(currency, listing.currency, whose="the listing's")
    if listing.owner_id == actor.pk:
        raise ValidationFailed("Owners do not offer on their own listing.", errors={"listing_id": ["You own it."]})
    client = None
    buyer = actor
    if client_id is not None:
        if not is_company_worker(actor, listing.company_id):
            raise UnknownReference("Unknown client.", errors={"client_id": ["Not a client of the listing's company."]})
        client = crm_selectors.client_for_company(client_id=client_id, company_id=listing.company_id)
        if client is None:
            raise UnknownReference("Unknown client.", errors={"client_id": ["Not a client of the listing's company."]})
        buyer = client.user
    elif buyer_id is not None:
        if not is_company_worker(actor, listing.company_id):
            raise ValidationFailed("Whose offer?", errors={"buyer_id": ["Only the listing's company records it."]})
        client = crm_selectors.client_for_company(
            client_id=buyer_id, company_id=listing.company_id
        ) or crm_selectors.client_of_user_for_company(user_id=buyer_id, company_id=listing.company_id)
        buyer = client.user if client is not None else active_user_for_field(buyer_id, field="buyer_id")
        if buyer is not None and buyer.pk == listing.owner_id:
            raise ValidationFailed("Owners do not buy their own listing.", errors={"buyer_id": ["The owner."]})
    elif is_company_worker(actor, listing.company_id):
        raise ValidationFailed("Whose offer?", errors={"client_id": ["Required when you offer for a client."]})
    offer = Offer.objects.create(
        company_id=listing.company_id,
        listing=listing,
        unit=unit,
        client=client,
        buyer=buyer,
        made_by=OfferParty.BUYER,
        amount=quantize(amount),
        currency=currency,
        conditions=conditions,
        expires_at=expires_at,
        created_by=actor,
    )
    audit_create(actor=actor, instance=offer, company_id=offer.company_id)
    event(OFFER_RECEIVED, row=offer, actor=actor, recipients=_seller_side(offer))
    return offer


def _lock_pending(offer: Offer) -> tuple[Any, Offer]:
    """Lock the listing (which serialises every decision on its offers), then re-read the
    offer and check it is still open."""
    listing = property_selectors.listing_for_update(offer.listing_id)
    offer = selectors.offer_for_update(offer.pk)
    offer.listing = listing
    if offer.status != OfferStatus.PENDING:
        raise Conflict(f"This offer is {offer.status}.", errors={"status": ["Only a pending offer can be answered."]})
    if offer.expires_at is not None and offer.expires_at <= timezone.now():
        raise Conflict("This offer has expired.", errors={"expires_at": ["The offer expired."]})
    return listing, offer


def _close(offer: Offer, status: str) -> dict[str, Any]:
    before = audit_snapshot(offer)
    offer.status = status
    offer.responded_at = timezone.now()
    offer.save(update_fields=["status", "responded_at", "updated_at"])
    return before


@transaction.atomic
def offer_counter(
    *, actor: Any, offer: Offer, amount: Decimal, conditions: str | None = None, expires_at: Any = None
) -> Offer:
    """Answer a pending offer with another amount: the offer becomes ``countered`` and the
    counter-offer, made by the other party, points back to it."""
    _, offer = _lock_pending(offer)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("Invalid expiry.", errors={"expires_at": ["Must be in the future."]})
    before = _close(offer, OfferStatus.COUNTERED)
    audit_update(actor=actor, instance=offer, before=before, action="counter", company_id=offer.company_id)
    counter = Offer.objects.create(
        company_id=offer.company_id,
        listing=offer.listing,
        unit_id=offer.unit_id,
        client_id=offer.client_id,
        buyer_id=offer.buyer_id,
        parent=offer,
        made_by=OfferParty.SELLER if offer.made_by == OfferParty.BUYER else OfferParty.BUYER,
        amount=quantize(amount),
        currency=offer.currency,
        conditions=offer.conditions if conditions is None else conditions,
        expires_at=expires_at if expires_at is not None else offer.expires_at,
        created_by=actor,
    )
    audit_create(actor=actor, instance=counter, company_id=counter.company_id)
    event(OFFER_COUNTERED, row=counter, actor=actor, recipients=_buyer_side(offer) + _seller_side(offer))
    return counter


@transaction.atomic
def offer_accept(*, actor: Any, offer: Offer) -> Offer:
    """Accept a pending offer. At most one offer per listing (or unit) is ever accepted,
    which a partial unique index guarantees, and never one for the whole listing beside
    one for a unit (the listing's row lock serialises both); the listing moves to
    ``under_offer`` (a unit to ``reserved``) and the competing open offers are declined."""
    listing, offer = _lock_pending(offer)
    company_require_active(listing.company_id, field="listing_id", doing="take offers")
    if listing.status not in OFFERABLE_LISTING_STATUSES:
        raise Conflict(
            "This listing is no longer available.", errors={"listing_id": [f"The listing is {listing.status}."]}
        )
    unit = None
    if offer.unit_id is not None:
        unit = property_selectors.unit_get_for_listing(listing=listing, unit_id=offer.unit_id)
        if unit.status != "available":
            raise Conflict("This unit is no longer available.", errors={"unit_id": [f"The unit is {unit.status}."]})
    elif selectors.accepted_unit_offer_exists(listing_id=listing.pk):
        # Selling the whole listing would sell a unit already promised to another buyer.
        raise Conflict(
            "A unit of this listing has an accepted offer.",
            errors={"status": ["Release the unit's accepted offer before accepting one for the whole listing."]},
        )
    before = audit_snapshot(offer)
    try:
        with transaction.atomic():
            _close(offer, OfferStatus.ACCEPTED)
    except IntegrityError:
        raise Conflict(
            "Another offer was already accepted.", errors={"status": ["This listing or unit has an accepted offer."]}
        ) from None
    audit_update(actor=actor, instance=offer, before=before, action="accept", company_id=offer.company_id)
    for other in selectors.open_offers_competing(offer=offer).select_for_update():
        other.listing = listing
        other_before = _close(other, OfferStatus.REJECTED)
        audit_update(actor=actor, instance=other, before=other_before, action="decline", company_id=other.company_id)
        event(OFFER_DECLINED, row=other, actor=actor, recipients=_buyer_side(other), reason="another offer accepted")
    if unit is not None:
        property_services.unit_update(actor=actor, unit=unit, status="reserved")
    else:
        property_services.listing_update(actor=actor, listing=listing, status="under_offer")
    event(OFFER_ACCEPTED, row=offer, actor=actor, recipients=_buyer_side(offer) + _seller_side(offer))
    return offer


@transaction.atomic
def offer_reject(*, actor: Any, offer: Offer) -> Offer:
    """Decline a pending offer."""
    _, offer = _lock_pending(offer)
    before = _close(offer, OfferStatus.REJECTED)
    audit_update(actor=actor, instance=offer, before=before, action="decline", company_id=offer.company_id)
    event(OFFER_DECLINED, row=offer, actor=actor, recipients=_buyer_side(offer) + _seller_side(offer))
    return offer


@transaction.atomic
def offer_withdraw(*, actor: Any, offer: Offer) -> Offer:
    """The party who made a pending offer takes it back."""
    _, offer = _lock_pending(offer)
    before = _close(offer, OfferStatus.WITHDRAWN)
    audit_update(actor=actor, instance=offer, before=before, action="withdraw", company_id=offer.company_id)
    return offer


def offers_expire() -> int:
    """Expire every pending offer past its expiry (the beat job); answers how many."""
    count = 0
    for offer_id in selectors.offers_due_to_expire().values_list("pk", flat=True):
        with transaction.atomic():
            offer = selectors.offer_for_update(offer_id)
            if offer.status != OfferStatus.PENDING:
                continue
            before = _close(offer, OfferStatus.EXPIRED)
            audit_update(actor=None, instance=offer, before=before, action="expire", company_id=offer.company_id)
            event(OFFER_EXPIRED, row=offer, actor=None, recipients=_buyer_side(offer) + _seller_side(offer))
            count += 1
    return count
