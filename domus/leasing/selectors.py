"""Reads of leases and rent schedules, scoped to what the actor may see."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db.models import F, Q, QuerySet

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.locks import hold, lock_key
from domus.core.policies import is_admin
from domus.leasing.models import Lease, LeaseStatus, RentPeriod
from domus.organizations.selectors import company_ids_for_user, is_company_staff

# Leases whose remaining (not yet invoiced) periods are still billed: an ended or terminated
# lease keeps only the periods up to its last day, so those are rent still owed.
BILLED_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.ENDED, LeaseStatus.TERMINATED)


def staff_company_ids(actor: Any) -> set[UUID]:
    """The companies where ``actor`` is staff or branch head (who see all the company's leases)."""
    return {company_id for company_id in company_ids_for_user(actor) if is_company_staff(actor, company_id)}


def lease_visible_to(actor: Any) -> QuerySet[Lease]:
    """Admins see every lease; company staff their companies'; tenants and owners their own.
    Other members of a company (agents, tenants, owners) see only the leases they are party to."""
    queryset = Lease.objects.all()
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(Q(company_id__in=staff_company_ids(actor)) | Q(tenant=actor) | Q(owner=actor))


def lease_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Lease]:
    return filter_list(
        lease_visible_to(actor),
        filters,
        exact_fields=("status", "company_id", "listing_id", "unit_id", "tenant_id", "owner_id"),
        search_fields=["tenant__email", "listing__title"],
        ordering_fields=["created_at", "start_date", "end_date", "rent_amount"],
    )


def lease_get_for_actor(*, actor: Any, lease_id: UUID) -> Lease:
    """The lease, or NotFound whether it is missing or hidden."""
    lease = lease_visible_to(actor).filter(pk=lease_id).first()
    if lease is None:
        raise NotFound("Lease not found.")
    return lease


def rent_periods_of(*, lease: Lease) -> QuerySet[RentPeriod]:
    return RentPeriod.objects.filter(lease=lease).order_by("period_start")


def rent_periods_to_invoice(*, on: date, lead_days: int = 0) -> QuerySet[RentPeriod]:
    """Periods due within ``lead_days`` of ``on`` that have no invoice yet: those of active
    leases, and those of ended or terminated leases up to their last day (rent still owed).
    Periods after a termination are deleted by ``lease_terminate``, and the guard on
    ``ended_on`` keeps any that were not out of the job anyway. Drafts have no periods."""
    return (
        RentPeriod.objects.filter(
            invoice_id__isnull=True, due_date__lte=on + timedelta(days=lead_days), lease__status__in=BILLED_STATUSES
        )
        .filter(Q(lease__status=LeaseStatus.ACTIVE) | Q(period_start__lte=F("lease__ended_on")))
        .select_related("lease", "lease__listing")
        .order_by("due_date", "id")
    )


def rent_periods_uninvoiced(*, period_ids: list[UUID]) -> QuerySet[RentPeriod]:
    """Those of ``period_ids`` still without an invoice, with their leases."""
    return (
        RentPeriod.objects.filter(pk__in=period_ids, invoice_id__isnull=True)
        .select_related("lease")
        .order_by("due_date", "id")
    )


def lease_ids_to_end(*, on: date) -> list[UUID]:
    """Active leases whose end date is before ``on`` (they are over and should be ``ended``)."""
    return list(
        Lease.objects.filter(status=LeaseStatus.ACTIVE, end_date__lt=on)
        .order_by("end_date", "id")
        .values_list("id", flat=True)
    )


def lease_for_update(lease_id: UUID) -> Lease:
    """The lease row, locked until the end of the transaction."""
    return Lease.objects.select_for_update(of=("self",)).select_related("listing").get(pk=lease_id)


def active_lease_overlaps(*, lease: Lease) -> bool:
    """Whether another active lease holds the same premises (the unit, or the whole listing
    for a lease without unit) on overlapping dates, read under a lock on the premises held
    until commit (taken after the lease's row lock): two activations of one unit queue and
    the second sees the first, instead of both writing and deadlocking on the exclusion
    constraint."""
    hold(lock_key("leasing.premises", lease.listing_id, lease.unit_id))
    return (
        Lease.objects.filter(
            listing_id=lease.listing_id,
            unit_id=lease.unit_id,
            status=LeaseStatus.ACTIVE,
            start_date__lte=lease.end_date,
            end_date__gte=lease.start_date,
        )
        .exclude(pk=lease.pk)
        .exists()
    )


def premises_still_leased(*, lease: Lease) -> bool:
    """Whether another active lease holds the same premises (so they stay rented when ``lease`` stops)."""
    return (
        Lease.objects.filter(listing_id=lease.listing_id, unit_id=lease.unit_id, status=LeaseStatus.ACTIVE)
        .exclude(pk=lease.pk)
        .exists()
    )


def lease_party_company_ids(user_id: UUID) -> set[UUID]:
    """The companies ``user_id`` holds a lease with (tenant or owner) beyond a draft."""
    return set(
        Lease.objects.filter(Q(tenant_id=user_id) | Q(owner_id=user_id))
        .exclude(status=LeaseStatus.DRAFT)
        .values_list("company_id", flat=True)
    )


def lease_party_company_ids_query(user_id: Any) -> QuerySet:
    """``lease_party_company_ids`` as a subquery of ``company_id``."""
    return (
        Lease.objects.filter(Q(tenant_id=user_id) | Q(owner_id=user_id))
        .exclude(status=LeaseStatus.DRAFT)
        .values("company_id")
    )


def company_active_lease_count(company_id: UUID) -> int:
    """The company's leases still running (what blocks deleting the company)."""
    return Lease.objects.filter(company_id=company_id, status=LeaseStatus.ACTIVE).count()


def active_lease_of_tenant(user_id: UUID) -> Lease | None:
    """The tenant's current active lease (the latest started), or None."""
    return Lease.objects.filter(tenant_id=user_id, status=LeaseStatus.ACTIVE).order_by("-start_date").first()


def lease_occupancy_rows(*, scope: Any, period: Any) -> list[dict[str, Any]]:
    """Leases in ``scope`` (an agent's: on their listings; an owner's: their own) per
    status and currency: how many, the monthly rent, and how many started and ended
    during ``period`` (one query)."""
    from django.db.models import Count, Sum

    first, last = period.start.date(), period.end.date()
    rows = (
        Lease.objects.filter(scope.q(agent=("listing__agent_id",), owner=("owner_id",)))
        .order_by()
        .values("status", "currency")
        .annotate(
            count=Count("pk"),
            rent=Sum("rent_amount"),
            started=Count("pk", filter=Q(start_date__gte=first, start_date__lt=last)),
            ended=Count("pk", filter=Q(ended_on__gte=first, ended_on__lt=last)),
        )
    )
    return list(rows)
