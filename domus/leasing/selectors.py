"""Reads of leases and rent schedules, scoped to what the actor may see."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.leasing.models import Lease, LeaseStatus, RentPeriod
from domus.organizations.selectors import company_ids_for_user


def lease_visible_to(actor: Any) -> QuerySet[Lease]:
    """Admins see every lease; members see their companies'; tenants and owners their own."""
    queryset = Lease.objects.all()
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(Q(company_id__in=company_ids_for_user(actor)) | Q(tenant=actor) | Q(owner=actor))


def lease_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Lease]:
    queryset = lease_visible_to(actor)
    for name in ("status", "company_id", "listing_id", "unit_id", "tenant_id", "owner_id"):
        value = getattr(filters, name, None)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    return filter_list(
        queryset,
        filters,
        search_fields=["tenant__email", "listing__title"],
        ordering_fields=["created_at", "start_date", "end_date", "rent_amount"],
    )


def lease_get_for_actor(*, actor: Any, lease_id: UUID) -> Lease:
    """The lease, or NotFound whether it is missing or hidden."""
    lease = lease_visible_to(actor).filter(pk=lease_id).first()
    if lease is None:
        raise NotFound("Lease not found.")
    return lease


def lease_by_id(lease_id: UUID) -> Lease | None:
    return Lease.objects.filter(pk=lease_id).select_related("listing").first()


def rent_periods_of(*, lease: Lease) -> QuerySet[RentPeriod]:
    return RentPeriod.objects.filter(lease=lease).order_by("period_start")


def rent_periods_to_invoice(*, on: date, lead_days: int = 0) -> QuerySet[RentPeriod]:
    """Periods of active leases due within ``lead_days`` of ``on`` that have no invoice yet."""
    return (
        RentPeriod.objects.filter(
            invoice_id__isnull=True, due_date__lte=on + timedelta(days=lead_days), lease__status=LeaseStatus.ACTIVE
        )
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
