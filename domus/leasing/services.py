"""Every write to leases: create, update (drafts), activate (schedule + unit rented), end, terminate."""

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from domus.core.money import quantize
from domus.leasing.models import Lease, LeaseStatus, RentPeriod
from domus.leasing.policies import is_company_staff
from domus.properties import selectors as property_selectors
from domus.properties import services as property_services

LEASE_FIELDS = frozenset(
    {
        "start_date",
        "end_date",
        "rent_amount",
        "currency",
        "billing_day",
        "deposit",
        "grace_days",
        "late_fee_type",
        "late_fee_value",
        "management_fee_percent",
        "tenant_id",
        "owner_id",
        "unit_id",
    }
)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_dates(lease: Lease) -> None:
    if lease.end_date <= lease.start_date:
        raise ValidationFailed(
            "The lease must end after it starts.", errors={"end_date": ["Must be after start_date."]}
        )
    if not 1 <= lease.billing_day <= 28:
        raise ValidationFailed("Invalid billing day.", errors={"billing_day": ["Between 1 and 28."]})


def _check_unit(lease: Lease) -> None:
    if lease.unit_id is None:
        return
    unit = property_selectors.unit_get_for_listing(listing=lease.listing, unit_id=lease.unit_id)
    lease.unit = unit


@transaction.atomic
def lease_create(*, actor: Any, listing_id: UUID, tenant: Any, **fields: Any) -> Lease:
    """A draft lease of a listing (or one of its units). Owner and company default to the listing's."""
    listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    if listing.company_id is None:
        raise ValidationFailed("The listing has no managing company.", errors={"listing_id": ["No company."]})
    if not is_company_staff(actor, listing.company_id):
        raise PermissionDenied("Only the company's staff can create leases.")
    unknown = set(fields) - LEASE_FIELDS
    if unknown:
        raise ValidationFailed("Unknown lease fields.", errors={name: ["Unknown field."] for name in sorted(unknown)})
    fields.setdefault("owner_id", listing.owner_id)
    fields.setdefault("currency", listing.currency)
    lease = Lease(company_id=listing.company_id, listing=listing, tenant=tenant, created_by=actor, **fields)
    _check_dates(lease)
    _check_unit(lease)
    lease.save()
    audit_create(actor=actor, instance=lease, company_id=lease.company_id)
    return lease


@transaction.atomic
def lease_update(*, actor: Any, lease: Lease, **fields: Any) -> Lease:
    """Change a draft lease."""
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    if lease.status != LeaseStatus.DRAFT:
        raise Conflict("Only draft leases can be edited.")
    unknown = set(fields) - LEASE_FIELDS
    if unknown:
        raise ValidationFailed("Unknown lease fields.", errors={name: ["Unknown field."] for name in sorted(unknown)})
    before = audit_snapshot(lease)
    for name, value in fields.items():
        setattr(lease, name, value)
    _check_dates(lease)
    _check_unit(lease)
    lease.save()
    audit_update(actor=actor, instance=lease, before=before, company_id=lease.company_id)
    return lease


def schedule_for(lease: Lease) -> list[RentPeriod]:
    """The monthly periods of ``lease`` from its start to its end; rent is due on the billing day."""
    periods: list[RentPeriod] = []
    index = 0
    while True:
        start = _add_months(lease.start_date, index)
        if start > lease.end_date:
            break
        end = min(_add_months(lease.start_date, index + 1) - timedelta(days=1), lease.end_date)
        due = start.replace(day=lease.billing_day) if lease.billing_day >= start.day else start
        due = min(due, end)
        amount = quantize(lease.rent_amount)
        periods.append(RentPeriod(lease=lease, period_start=start, period_end=end, due_date=due, amount=amount))
        index += 1
    return periods


@transaction.atomic
def lease_activate(*, actor: Any, lease: Lease) -> Lease:
    """Activate a draft lease: its rent schedule is created and its unit marked rented.
    The database refuses a second active lease of the unit with overlapping dates (409)."""
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    if lease.status != LeaseStatus.DRAFT:
        raise Conflict("Only a draft lease can be activated.")
    before = audit_snapshot(lease)
    lease.status = LeaseStatus.ACTIVE
    lease.activated_at = timezone.now()
    overlapping = Lease.objects.filter(
        unit_id=lease.unit_id,
        status=LeaseStatus.ACTIVE,
        start_date__lte=lease.end_date,
        end_date__gte=lease.start_date,
    ).exclude(pk=lease.pk)
    if lease.unit_id is not None and overlapping.exists():
        raise Conflict("The unit already has an active lease for these dates.")
    try:
        with transaction.atomic():
            lease.save(update_fields=["status", "activated_at", "updated_at"])
    except IntegrityError as error:
        raise Conflict("The unit already has an active lease for these dates.") from error
    RentPeriod.objects.bulk_create(schedule_for(lease))
    if lease.unit_id is not None:
        unit = property_selectors.unit_get_for_listing(listing=lease.listing, unit_id=lease.unit_id)
        property_services.unit_update(actor=actor, unit=unit, status="rented")
    audit_update(actor=actor, instance=lease, before=before, action="activate", company_id=lease.company_id)
    recipients = [str(uid) for uid in {lease.tenant_id, lease.owner_id} if uid != getattr(actor, "id", None)]
    publish(
        "lease.activated",
        {
            "id": str(lease.id),
            "company_id": str(lease.company_id),
            "actor_id": str(actor.id) if getattr(actor, "id", None) else None,
            "recipient_ids": recipients,
        },
    )
    return lease


@transaction.atomic
def lease_terminate(*, actor: Any, lease: Lease, reason: str, on: date | None = None) -> Lease:
    """End an active lease early (or a draft one): periods after ``on`` are dropped when not invoiced."""
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    if lease.status not in (LeaseStatus.ACTIVE, LeaseStatus.DRAFT):
        raise Conflict("The lease is already over.")
    if not reason.strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["Required."]})
    before = audit_snapshot(lease)
    on = on or timezone.localdate()
    was_active = lease.status == LeaseStatus.ACTIVE
    lease.status = LeaseStatus.TERMINATED
    lease.termination_reason = reason.strip()
    lease.ended_on = on
    lease.save(update_fields=["status", "termination_reason", "ended_on", "updated_at"])
    RentPeriod.objects.filter(lease=lease, period_start__gt=on, invoice_id__isnull=True).delete()
    if was_active and lease.unit_id is not None:
        unit = property_selectors.unit_get_for_listing(listing=lease.listing, unit_id=lease.unit_id)
        property_services.unit_update(actor=actor, unit=unit, status="available")
    audit_update(actor=actor, instance=lease, before=before, action="terminate", company_id=lease.company_id)
    return lease


@transaction.atomic
def rent_periods_mark_invoiced(*, pairs: list[tuple[UUID, UUID]]) -> None:
    """Record the invoice issued for each rent period (called by finance in its transaction)."""
    periods = [RentPeriod(id=period_id, invoice_id=invoice_id) for period_id, invoice_id in pairs]
    RentPeriod.objects.bulk_update(periods, ["invoice_id"], batch_size=1000)


def late_fee_for(lease: Lease, rent: Decimal) -> Decimal:
    """The late fee of one overdue period under the lease's rule."""
    if lease.late_fee_type == "fixed":
        return quantize(lease.late_fee_value)
    if lease.late_fee_type == "percent":
        return quantize(rent * lease.late_fee_value / 100)
    return Decimal("0.00")
