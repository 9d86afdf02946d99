"""Reads of offers, contracts, deals and commissions, each scoped to what the actor may see."""

from typing import Any
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.core.scope import Period, Scope, rollup_rows
from domus.organizations.selectors import COMPANY_STAFF_ROLES, company_roles
from domus.sales.models import (
    OPEN_OFFER_STATUSES,
    Commission,
    Contract,
    Deal,
    DealStatusChange,
    Offer,
    OfferStatus,
)
from domus.sales.schemas import CommissionFilters, ContractFilters, DealFilters, OfferFilters


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _staff_or(queryset: QuerySet, actor: Any, own: Q) -> QuerySet:
    """Admins see all; company staff their companies' rows; others the rows ``own`` matches."""
    if is_admin(actor):
        return queryset
    if not _authenticated(actor):
        return queryset.none()
    roles = company_roles(actor)
    staff = {cid for cid, role in roles.items() if role in COMPANY_STAFF_ROLES}
    if staff and len(staff) == len(roles):
        return queryset.filter(company_id__in=staff)
    return queryset.filter(Q(company_id__in=staff) | own)


# Offers -------------------------------------------------------------------------------------


def offer_visible_to(actor: Any) -> QuerySet[Offer]:
    """Company staff, the listing's agent and owner, the buyer, the buyer's (client's) agent
    and whoever recorded it."""
    pk = getattr(actor, "pk", None)
    own = (
        Q(buyer_id=pk)
        | Q(created_by_id=pk)
        | Q(client__assigned_agent_id=pk)
        | Q(listing__agent_id=pk)
        | Q(listing__owner_id=pk)
    )
    return _staff_or(Offer.objects.all(), actor, own)


def offer_list_for_actor(*, actor: Any, filters: OfferFilters) -> QuerySet[Offer]:
    queryset = offer_visible_to(actor)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "listing_id", "unit_id", "client_id", "buyer_id"),
        search_fields=["conditions"],
        ordering_fields=["amount", "created_at", "expires_at"],
        default_ordering=["-created_at", "-pk"],
    )


def offer_get_for_actor(*, actor: Any, offer_id: UUID) -> Offer:
    offer = offer_visible_to(actor).select_related("listing").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound("Offer not found.")
    return offer


def offer_for_update(offer_id: UUID) -> Offer:
    return Offer.objects.select_for_update().get(pk=offer_id)


def open_offers_competing(*, offer: Offer) -> QuerySet[Offer]:
    """Pending offers that an acceptance of ``offer`` rules out: every other one on the
    listing when it is for the whole listing, else the others on the same unit."""
    queryset = Offer.objects.filter(listing_id=offer.listing_id, status=OfferStatus.PENDING).exclude(pk=offer.pk)
    if offer.unit_id is not None:
        queryset = queryset.filter(unit_id=offer.unit_id)
    return queryset.order_by("created_at", "pk")


def accepted_unit_offer_exists(*, listing_id: UUID) -> bool:
    return Offer.objects.filter(listing_id=listing_id, unit__isnull=False, status=OfferStatus.ACCEPTED).exists()


def offers_due_to_expire() -> QuerySet[Offer]:
    return Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=timezone.now()).order_by("expires_at")


def offer_chain(*, offer: Offer) -> list[Offer]:
    """The offer and the offers it answers, oldest first."""
    chain = [offer]
    while chain[0].parent_id is not None:
        chain.insert(0, Offer.objects.get(pk=chain[0].parent_id))
    return chain


# Contracts ----------------------------------------------------------------------------------


def contract_visible_to(actor: Any) -> QuerySet[Contract]:
    pk = getattr(actor, "pk", None)
    own = Q(offer__buyer_id=pk) | Q(created_by_id=pk) | Q(listing__agent_id=pk) | Q(listing__owner_id=pk)
    return _staff_or(Contract.objects.all(), actor, own)


def contract_list_for_actor(*, actor: Any, filters: ContractFilters) -> QuerySet[Contract]:
    queryset = contract_visible_to(actor)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "kind", "offer_id", "listing_id"),
        search_fields=["title", "terms"],
        ordering_fields=["created_at", "updated_at", "price", "signed_at"],
        default_ordering=["-created_at", "-pk"],
    )


def contract_get_for_actor(*, actor: Any, contract_id: UUID) -> Contract:
    contract = contract_visible_to(actor).select_related("offer", "listing").filter(pk=contract_id).first()
    if contract is None:
        raise NotFound("Contract not found.")
    return contract


def contract_for_update(contract_id: UUID) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract_id)


# Deals --------------------------------------------------------------------------------------


def deal_visible_to(actor: Any) -> QuerySet[Deal]:
    pk = getattr(actor, "pk", None)
    own = Q(listing_agent_id=pk) | Q(selling_agent_id=pk) | Q(created_by_id=pk)
    return _staff_or(Deal.objects.all(), actor, own)


def _with_commission(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    return queryset.annotate(commission_total=Sum("commissions__amount"))


def deal_list_for_actor(*, actor: Any, filters: DealFilters) -> QuerySet[Deal]:
    queryset = deal_visible_to(actor)
    if filters.agent_id is not None:
        queryset = queryset.filter(Q(listing_agent_id=filters.agent_id) | Q(selling_agent_id=filters.agent_id))
    queryset = filter_list(
        queryset,
        filters,
        exact_fields=("status", "listing_id", "client_id"),
        search_fields=["title"],
        ordering_fields=["created_at", "updated_at", "amount", "closed_at"],
        default_ordering=["-created_at", "-pk"],
    )
    return _with_commission(queryset)


def deal_get_for_actor(*, actor: Any, deal_id: UUID) -> Deal:
    deal = (
        _with_commission(deal_visible_to(actor).filter(pk=deal_id))
        .prefetch_related(Prefetch("history", queryset=DealStatusChange.objects.order_by("changed_at", "id")))
        .first()
    )
    if deal is None:
        raise NotFound("Deal not found.")
    return deal


def deal_for_update(deal_id: UUID) -> Deal:
    return Deal.objects.select_for_update(of=("self",)).select_related("listing").get(pk=deal_id)


def deal_history(*, deal: Deal) -> QuerySet[DealStatusChange]:
    return DealStatusChange.objects.filter(deal=deal).order_by("changed_at", "id")


# Commissions --------------------------------------------------------------------------------


def commission_visible_to(actor: Any) -> QuerySet[Commission]:
    return _staff_or(Commission.objects.all(), actor, Q(agent_id=getattr(actor, "pk", None)))


def commission_list_for_actor(*, actor: Any, filters: CommissionFilters) -> QuerySet[Commission]:
    queryset = commission_visible_to(actor)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "deal_id", "agent_id"),
        ordering_fields=["created_at", "amount", "approved_at", "paid_at"],
        default_ordering=["-created_at", "-pk"],
    )


def commission_get_for_actor(*, actor: Any, commission_id: UUID) -> Commission:
    commission = commission_visible_to(actor).filter(pk=commission_id).first()
    if commission is None:
        raise NotFound("Commission not found.")
    return commission


def commission_for_update(commission_id: UUID) -> Commission:
    return Commission.objects.select_for_update().get(pk=commission_id)


# Dashboard -----------------------------------------------------------------------------------


def offer_kpis(*, company_id: UUID | None) -> dict[str, int]:
    """Live dashboard counter: offers waiting for an answer (one company, or all with None)."""
    offers = Offer.objects.filter(status__in=OPEN_OFFER_STATUSES)
    if company_id is not None:
        offers = offers.filter(company_id=company_id)
    return {"offers_pending": offers.count()}


# Dashboards


def deal_dashboard_rows(*, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Deals in ``scope`` (an agent's: listing or selling agent; an owner's: on their
    listings) per status and currency: how many and their value (``value``), and of those the ones
    created and the ones closed during ``period`` (one query)."""
    in_period, closed = period.q("created_at"), period.q("closed_at")
    rows = (
        Deal.objects.filter(scope.q(agent=("listing_agent_id", "selling_agent_id"), owner=("listing__owner_id",)))
        .order_by()
        .values("status", "currency")
        .annotate(
            count=Count("pk"),
            value=Sum("amount"),
            new=Count("pk", filter=in_period),
            closed=Count("pk", filter=closed),
            closed_value=Sum("amount", filter=closed),
        )
    )
    return list(rows)


def commission_dashboard_rows(*, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Commissions in ``scope`` created during ``period`` (an agent's: their own; owners
    earn none) per status and currency: how many and how much (one query)."""
    rows = (
        Commission.objects.filter(scope.q(agent=("agent_id",)), period.q("created_at"))
        .order_by()
        .values("status", "currency")
        .annotate(count=Count("pk"), value=Sum("amount"))
    )
    return list(rows)


def deal_rollup_rows(*, company_ids: list[UUID | None] | None = None) -> list[dict[str, Any]]:
    """The dashboards' roll-up counters of deals (``domus.core.scope.rollup_rows``): per
    status and currency now (count and value), and per day they closed (two queries)."""
    return rollup_rows(
        Deal.objects.all(),
        company_ids=company_ids,
        keys=("status",),
        currency="currency",
        amount="amount",
        measures={"state": (None, Q()), "closed": ("closed_at", Q(closed_at__isnull=False))},
    )


def commission_rollup_rows(*, company_ids: list[UUID | None] | None = None) -> list[dict[str, Any]]:
    """The dashboards' roll-up counters of commissions: per status, currency and the day
    they were created (one query)."""
    return rollup_rows(
        Commission.objects.all(),
        company_ids=company_ids,
        keys=("status",),
        currency="currency",
        amount="amount",
        measures={"created": ("created_at", Q())},
    )


def deal_funnel_rows(*, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Per lead that came in during ``period`` and has a deal in ``scope``: the lead's
    source and arrival, and when its deals first reached a viewing, an offer, a contract,
    were won, and earned a commission (one grouped query)."""
    from django.db.models import Min

    def first(status: str) -> Min:
        return Min("history__changed_at", filter=Q(history__to_status=status))

    rows = (
        Deal.objects.filter(
            scope.q(agent=("listing_agent_id", "selling_agent_id"), owner=("listing__owner_id",)),
            period.q("lead__created_at"),
        )
        .order_by()
        .values("lead_id", "lead__source", "lead__created_at")
        .annotate(
            viewing_at=first("viewing"),
            offer_at=first("offer"),
            contract_at=first("under_contract"),
            won_at=first("closed_won"),
            commission_at=Min("commissions__created_at"),
        )
    )
    return list(rows)
