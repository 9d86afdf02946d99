"""Deals (the CRM's "transactions") with their status history, and the commissions of closed ones.

What a deal pays is not the caller's to say: commission rates are set by company staff,
the listing agent is the listing's, and a deal closes won only through an accepted offer
or a signed contract, at its amount; the commissions are computed from that."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.accounts.selectors import active_user
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.events import actor_id
from domus.core.exceptions import Conflict, NotFound, PermissionDenied, UnknownReference, ValidationFailed
from domus.core.money import quantize
from domus.crm import selectors as crm_selectors
from domus.crm.services import lead_mark_won
from domus.organizations.selectors import (
    COMPANY_WORKER_ROLES,
    is_company_staff,
    is_company_worker,
    user_company_role,
)
from domus.properties import selectors as property_selectors
from domus.sales import selectors
from domus.sales.models import (
    CLOSED_DEAL_STATUSES,
    Commission,
    CommissionRole,
    CommissionStatus,
    Contract,
    ContractStatus,
    Deal,
    DealStatus,
    DealStatusChange,
    Offer,
    OfferStatus,
)
from domus.sales.services.events import (
    COMMISSION_APPROVED,
    DEAL_CREATED,
    DEAL_STATUS_CHANGED,
    event,
)

# Deals --------------------------------------------------------------------------------------


def _agent(company_id: UUID, user_id: UUID | None, field: str) -> Any:
    """The agent ``user_id`` when they work for the company (agent, staff or branch head)."""
    if user_id is None:
        return None
    user = active_user(user_id)
    if user is None or user_company_role(user, company_id) not in COMPANY_WORKER_ROLES:
        raise UnknownReference("Unknown agent.", errors={field: ["Not an agent or staff of this company."]})
    return user


def _staff_only_rate(actor: Any, company_id: UUID, commission_rate: Decimal | None) -> None:
    """Commission rates are the company's to set (its staff, branch heads, platform admins)."""
    if commission_rate is not None and not is_company_staff(actor, company_id):
        raise PermissionDenied(
            "Only the company's staff set commission rates.",
            errors={"commission_rate": ["Set by company staff, branch heads or admins only."]},
        )


def _history(deal: Deal, *, actor: Any, from_status: str, to_status: str, note: str) -> None:
    DealStatusChange.objects.create(
        deal=deal,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changed_by=actor if actor_id(actor) else None,
        changed_at=timezone.now(),
    )


@transaction.atomic
def deal_create(
    *,
    actor: Any,
    listing_id: UUID,
    unit_id: UUID | None = None,
    client_id: UUID | None = None,
    lead_id: UUID | None = None,
    offer_id: UUID | None = None,
    contract_id: UUID | None = None,
    title: str = "",
    amount: Decimal | None = None,
    currency: str | None = None,
    commission_rate: Decimal | None = None,
    listing_agent_id: UUID | None = None,
    selling_agent_id: UUID | None = None,
    status: str = DealStatus.LEAD,
    note: str = "",
    listing_type: str | None = None,
) -> Deal:
    """Record a deal on one of the company's listings, at any open stage; the first history
    entry says where it started. Its listing agent is the listing's (400 for another);
    ``commission_rate`` is for company staff only (403 for anyone else). ``listing_type``,
    when given, must be the listing's (a sale is not recorded on a listing for rent)."""
    if status in CLOSED_DEAL_STATUSES:
        raise ValidationFailed("A deal starts open.", errors={"status": ["Close it with a status change."]})
    try:
        listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    except NotFound:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["No such listing."]}) from None
    company_id = listing.company_id
    if company_id is None or not is_company_worker(actor, company_id):
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["Not a listing of your company."]})
    if listing_type is not None and listing_type != listing.listing_type:
        detail = f"The listing is for {listing.listing_type}, not {listing_type}."
        raise ValidationFailed(detail, errors={"listing_type": [detail]})
    _staff_only_rate(actor, company_id, commission_rate)
    if listing_agent_id is not None and listing_agent_id != listing.agent_id:
        raise ValidationFailed(
            "The listing agent is the listing's agent.",
            errors={"listing_agent_id": ["Not writable: a deal's listing agent is its listing's agent."]},
        )
    if unit_id is not None:
        try:
            property_selectors.unit_get_for_listing(listing=listing, unit_id=unit_id)
        except NotFound:
            raise UnknownReference("Unknown unit.", errors={"unit_id": ["Not a unit of this listing."]}) from None
    client = crm_selectors.client_for_company(client_id=client_id, company_id=company_id) if client_id else None
    if client_id and client is None:
        raise UnknownReference("Unknown client.", errors={"client_id": ["Not a client of this company."]})
    lead = crm_selectors.lead_visible_to(actor).filter(pk=lead_id, company_id=company_id).first() if lead_id else None
    if lead_id and lead is None:
        raise UnknownReference("Unknown lead.", errors={"lead_id": ["Not a lead of this company."]})
    offer = Offer.objects.filter(pk=offer_id, listing_id=listing.pk).first() if offer_id else None
    if offer_id and offer is None:
        raise UnknownReference("Unknown offer.", errors={"offer_id": ["Not an offer on this listing."]})
    contract = Contract.objects.filter(pk=contract_id, listing_id=listing.pk).first() if contract_id else None
    if contract_id and contract is None:
        raise UnknownReference("Unknown contract.", errors={"contract_id": ["Not a contract on this listing."]})
    if amount is None:
        amount = contract.price if contract else offer.amount if offer else listing.price
    if selling_agent_id is None:
        selling_agent_id = (lead.assigned_agent_id if lead else None) or (
            actor.pk if user_company_role(actor, company_id) == "agent" else None
        )
    deal = Deal.objects.create(
        company_id=company_id,
        listing=listing,
        unit_id=unit_id,
        client=client or (offer.client if offer else None),
        lead=lead,
        offer=offer,
        contract=contract,
        title=title or listing.title,
        amount=quantize(amount),
        currency=currency or (offer.currency if offer else listing.currency),
        commission_rate=commission_rate,
        listing_agent=listing.agent,
        selling_agent=_agent(company_id, selling_agent_id, "selling_agent_id"),
        status=status,
        created_by=actor,
    )
    _history(deal, actor=actor, from_status="", to_status=status, note=note)
    audit_create(actor=actor, instance=deal, company_id=company_id)
    event(DEAL_CREATED, row=deal, actor=actor, recipients=[])
    return deal


def _close_won_basis(deal: Deal) -> None:
    """Set the deal's amount and currency from what sold it: its signed contract, else its
    accepted offer (409 when it has neither)."""
    contract = deal.contract
    if contract is not None and contract.status == ContractStatus.SIGNED:
        deal.offer = contract.offer
        deal.amount, deal.currency = contract.price, contract.currency
        return
    offer = deal.offer
    if offer is not None and offer.status == OfferStatus.ACCEPTED:
        deal.amount, deal.currency = offer.amount, offer.currency
        return
    raise Conflict(
        "A deal closes won only through an accepted offer or a signed contract.",
        errors={"status": ["Attach the accepted offer (offer_id) or the signed contract (contract_id)."]},
    )


def _save_deal(deal: Deal) -> None:
    try:
        with transaction.atomic():
            deal.save()
    except IntegrityError:
        if Deal.objects.filter(offer_id=deal.offer_id, status=DealStatus.CLOSED_WON).exclude(pk=deal.pk).exists():
            raise Conflict(
                "This sale already closed another deal.",
                errors={"offer_id": ["Another deal closed won through this offer."]},
            ) from None
        raise


@transaction.atomic
def deal_status_change(
    *,
    actor: Any,
    deal: Deal,
    status: str,
    note: str = "",
    offer_id: UUID | None = None,
    contract_id: UUID | None = None,
    amount: Decimal | None = None,
) -> Deal:
    """Move a deal one step along its lifecycle (409 with the allowed next statuses
    otherwise), optionally attaching its offer or contract (the amount follows them unless
    given). Closing it won needs an accepted offer or a signed contract (409 otherwise),
    whose amount it closes at (400 for an ``amount`` given then); it computes the
    commissions and marks the lead won. One sale closes one deal (409 for a second)."""
    deal = selectors.deal_for_update(deal.pk)
    allowed = deal.allowed_next_statuses()
    if status not in allowed:
        raise Conflict(
            f"A deal cannot move from {deal.status} to {status}.",
            errors={
                "status": [f"Allowed next statuses: {', '.join(allowed) or 'none'}."],
                "allowed_next_statuses": allowed,
            },
        )
    if status == DealStatus.CLOSED_WON and amount is not None:
        raise ValidationFailed(
            "A deal closes at the amount of its sale.",
            errors={"amount": ["Not writable at closing: the accepted offer's or signed contract's amount applies."]},
        )
    before = audit_snapshot(deal)
    if offer_id is not None:
        deal.offer = Offer.objects.filter(pk=offer_id, listing_id=deal.listing_id).first()
        if deal.offer is None:
            raise UnknownReference("Unknown offer.", errors={"offer_id": ["Not an offer on this listing."]})
        deal.amount, deal.currency = deal.offer.amount, deal.offer.currency
        deal.client_id = deal.client_id or deal.offer.client_id
    if contract_id is not None:
        deal.contract = Contract.objects.filter(pk=contract_id, listing_id=deal.listing_id).first()
        if deal.contract is None:
            raise UnknownReference("Unknown contract.", errors={"contract_id": ["Not a contract on this listing."]})
        deal.amount, deal.currency = deal.contract.price, deal.contract.currency
    if amount is not None:
        deal.amount = quantize(amount)
    if status == DealStatus.CLOSED_WON:
        _close_won_basis(deal)
    old = deal.status
    deal.status = status
    if status in CLOSED_DEAL_STATUSES:
        deal.closed_at = timezone.now()
    _save_deal(deal)
    _history(deal, actor=actor, from_status=old, to_status=status, note=note)
    audit_update(actor=actor, instance=deal, before=before, action="status", company_id=deal.company_id)
    if status == DealStatus.CLOSED_WON:
        commissions_compute(actor=actor, deal=deal)
        if deal.lead_id is not None:
            lead_mark_won(actor=actor, lead_id=deal.lead_id)
    event(
        DEAL_STATUS_CHANGED,
        row=deal,
        actor=actor,
        recipients=[deal.listing_agent_id, deal.selling_agent_id, deal.created_by_id],
        **{"from": old, "to": status},
    )
    return deal


# Commissions --------------------------------------------------------------------------------


def _agent_rate(agent: Any, company_id: UUID) -> Decimal | None:
    """The rate the deal's company set on the agent's profile (one naming another company
    was set by that company's staff, not this one's)."""
    profile = getattr(agent, "agent_profile", None) if agent is not None else None
    if profile is None or profile.company_id != company_id:
        return None
    return Decimal(profile.commission_rate) if profile.commission_rate else None


def commissions_compute(*, actor: Any, deal: Deal) -> list[Commission]:
    """Split a closed deal's commission: the deal's rate, else the selling agent's, else the
    listing agent's (as set by the deal's company on their profiles), else the default;
    shares from settings between the listing and selling agents, the company keeping the
    rest (and the share of a missing agent). Amounts always add up to the total."""
    rate = deal.commission_rate
    if rate is None:
        rate = _agent_rate(deal.selling_agent, deal.company_id) or _agent_rate(deal.listing_agent, deal.company_id)
    rate = Decimal(rate if rate is not None else settings.SALES_DEFAULT_COMMISSION_RATE)
    listing_share = Decimal(settings.SALES_COMMISSION_LISTING_SHARE)
    selling_share = Decimal(settings.SALES_COMMISSION_SELLING_SHARE)
    if min(listing_share, selling_share) < 0 or listing_share + selling_share > 100:
        raise ImproperlyConfigured("SALES_COMMISSION_*_SHARE must be percentages adding up to at most 100.")
    total = quantize(deal.amount * rate / 100)
    shares = {
        CommissionRole.LISTING_AGENT: (deal.listing_agent_id, listing_share),
        CommissionRole.SELLING_AGENT: (deal.selling_agent_id, selling_share),
    }
    rows = []
    allocated = Decimal(0)
    company_share = Decimal(100)
    for role, (agent_id, share) in shares.items():
        if agent_id is None:
            continue
        amount = quantize(total * share / 100)
        allocated += amount
        company_share -= share
        rows.append(Commission(role=role, agent_id=agent_id, share=share, amount=amount))
    rows.append(Commission(role=CommissionRole.COMPANY, agent_id=None, share=company_share, amount=total - allocated))
    for row in rows:
        row.company_id, row.deal, row.rate, row.currency = deal.company_id, deal, rate, deal.currency
        row.save()
        audit_create(actor=actor, instance=row, company_id=deal.company_id)
    return rows


@transaction.atomic
def commission_approve(*, actor: Any, commission: Commission) -> Commission:
    """Staff approve a pending commission."""
    commission = selectors.commission_for_update(commission.pk)
    if commission.status != CommissionStatus.PENDING:
        raise Conflict(
            f"This commission is {commission.status}.", errors={"status": ["Only pending ones are approved."]}
        )
    before = audit_snapshot(commission)
    commission.status, commission.approved_by, commission.approved_at = CommissionStatus.APPROVED, actor, timezone.now()
    commission.save()
    audit_update(actor=actor, instance=commission, before=before, action="approve", company_id=commission.company_id)
    event(COMMISSION_APPROVED, row=commission, actor=actor, recipients=[commission.agent_id])
    return commission


@transaction.atomic
def commission_pay(*, actor: Any, commission: Commission) -> Commission:
    """Staff record an approved commission as paid."""
    commission = selectors.commission_for_update(commission.pk)
    if commission.status != CommissionStatus.APPROVED:
        raise Conflict(f"This commission is {commission.status}.", errors={"status": ["Only approved ones are paid."]})
    before = audit_snapshot(commission)
    commission.status, commission.paid_at = CommissionStatus.PAID, timezone.now()
    commission.save()
    audit_update(actor=actor, instance=commission, before=before, action="pay", company_id=commission.company_id)
    return commission
