"""Every write to leases: create, update (drafts), activate (schedule + unit or listing rented),
end (the daily job), terminate."""

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.events import event_payload, publish
from domus.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from domus.core.money import quantize
from domus.leasing import selectors as lease_selectors
from domus.leasing.models import LateFeeType, Lease, LeaseStatus, RentPeriod
from domus.organizations.selectors import is_company_staff
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


def _years_after(day: date, years: int) -> date:
    """``day`` plus ``years`` whole years (capped at the last representable month)."""
    try:
        return _add_months(day, 12 * years)
    except ValueError:  # past year 9999
        return date.max - timedelta(days=31)


def _reject_nulls(fields: dict[str, Any]) -> None:
    """An explicit ``null`` may clear a nullable field (the unit); any other is a 400."""
    errors = {
        name: ["May not be null."]
        for name, value in sorted(fields.items())
        if value is None and not Lease._meta.get_field(name).null
    }
    if errors:
        raise ValidationFailed("Some fields may not be null.", errors=errors)


def _check_terms(lease: Lease) -> None:
    """The row's own rules, as 400s with field errors (the database guards them too)."""
    errors: dict[str, list[str]] = {}
    years = settings.LEASE_MAX_TERM_YEARS
    if lease.end_date <= lease.start_date:
        errors["end_date"] = ["Must be after start_date."]
    elif lease.end_date > _years_after(lease.start_date, years):
        errors["end_date"] = [f"A lease runs at most {years} years: end_date is too far after start_date."]
    if lease.start_date > _years_after(timezone.localdate(), years):
        errors["start_date"] = [f"Must be within {years} years from today."]
    if not 1 <= lease.billing_day <= 28:
        errors["billing_day"] = ["Between 1 and 28."]
    if lease.rent_amount <= 0:
        errors["rent_amount"] = ["Must be more than 0."]
    if lease.deposit < 0:
        errors["deposit"] = ["Must be 0 or more."]
    if not 0 <= lease.management_fee_percent <= 100:
        errors["management_fee_percent"] = ["Between 0 and 100."]
    if lease.late_fee_type not in LateFeeType.values:
        errors["late_fee_type"] = [f"One of: {', '.join(LateFeeType.values)}."]
    elif lease.late_fee_type == LateFeeType.PERCENT and not 0 < lease.late_fee_value <= 100:
        errors["late_fee_value"] = ["A percent late fee must be more than 0 and at most 100."]
    elif lease.late_fee_value < 0:
        errors["late_fee_value"] = ["Must be 0 or more."]
    if errors:
        raise ValidationFailed("The lease terms are not valid.", errors=errors)


def _check_unit(lease: Lease) -> None:
    """The unit belongs to the listing; a listing that has units is leased unit by unit."""
    if lease.unit_id is None:
        if property_selectors.unit_list_for_listing(listing=lease.listing).exists():
            raise ValidationFailed(
                "This listing has units: lease one of them.",
                errors={"unit_id": ["Required: the listing has units."]},
            )
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
    _reject_nulls(fields)
    fields.setdefault("owner_id", listing.owner_id)
    fields.setdefault("currency", listing.currency)
    lease = Lease(company_id=listing.company_id, listing=listing, tenant=tenant, created_by=actor, **fields)
    _check_terms(lease)
    _check_unit(lease)
    lease.save()
    audit_create(actor=actor, instance=lease, company_id=lease.company_id)
    return lease


@transaction.atomic
def lease_update(*, actor: Any, lease: Lease, **fields: Any) -> Lease:
    """Change a draft lease. ``unit_id=None`` makes it a lease of the whole listing (only
    when the listing has no units); ``None`` for any other field is a 400."""
    lease = lease_selectors.lease_for_update(lease.pk)
    if lease.status != LeaseStatus.DRAFT:
        raise Conflict("Only draft leases can be edited.")
    unknown = set(fields) - LEASE_FIELDS
    if unknown:
        raise ValidationFailed("Unknown lease fields.", errors={name: ["Unknown field."] for name in sorted(unknown)})
    _reject_nulls(fields)
    before = audit_snapshot(lease)
    for name, value in fields.items():
        setattr(lease, name, value)
    _check_terms(lease)
    _check_unit(lease)
    lease.save()
    audit_update(actor=actor, instance=lease, before=before, company_id=lease.company_id)
    return lease


def _prorated(rent: Decimal, start: date, end: date, full_end: date) -> Decimal:
    """``rent`` for ``start..end`` out of the full period ``start..full_end`` (days, inclusive)."""
    if end >= full_end:
        return quantize(rent)
    return quantize(rent * ((end - start).days + 1) / ((full_end - start).days + 1))


def _first_billing_day_from(day: date, billing_day: int) -> date:
    """The first date on or after ``day`` whose day of the month is ``billing_day`` (1-28)."""
    candidate = day.replace(day=billing_day)
    return candidate if candidate >= day else _add_months(candidate, 1)


def schedule_for(lease: Lease) -> list[RentPeriod]:
    """The rent periods of ``lease``.

    - Periods are whole months counted from the start day (1 Mar, 1 Apr, ... or 20 Jan,
      20 Feb, ...; a start on the 31st gives the last day of shorter months).
    - A period's rent is due on the billing day: the first billing day on or after the
      period's start. The first period is due at move-in (the start date) when the start
      month's billing day has already passed.
    - A short final period (the lease ends before a whole month) is prorated by days:
      rent x days in the period / days of the whole month it would have been.
    """
    periods: list[RentPeriod] = []
    index = 0
    while True:
        start = _add_months(lease.start_date, index)
        if start > lease.end_date:
            break
        full_end = _add_months(lease.start_date, index + 1) - timedelta(days=1)
        end = min(full_end, lease.end_date)
        if index == 0 and lease.start_date.day > lease.billing_day:
            due = start
        else:
            due = _first_billing_day_from(start, lease.billing_day)
        amount = _prorated(Decimal(lease.rent_amount), start, end, full_end)
        periods.append(
            RentPeriod(lease=lease, period_start=start, period_end=end, due_date=min(due, end), amount=amount)
        )
        index += 1
    return periods


def _publish(event: str, lease: Lease, actor: Any, **extra: Any) -> None:
    """Tell the tenant and the owner (not the actor) after commit."""
    publish(event, event_payload(lease, actor=actor, recipients=[lease.tenant_id, lease.owner_id], **extra))


def _occupy_premises(*, actor: Any, lease: Lease) -> None:
    """Mark the leased unit rented, or the whole listing when the lease has no unit (when
    the listing's status allows it: a draft or archived listing is left alone)."""
    if lease.unit_id is not None:
        unit = property_selectors.unit_get_for_listing(listing=lease.listing, unit_id=lease.unit_id)
        property_services.unit_update(actor=actor, unit=unit, status="rented")
        return
    listing = property_selectors.listing_for_update(lease.listing_id)
    if listing.status != "rented" and "rented" in listing.allowed_next_statuses():
        property_services.listing_update(actor=actor, listing=listing, status="rented")


def _free_premises(*, actor: Any, lease: Lease) -> None:
    """Mark the unit (or the whole listing) available again, unless another active lease holds it."""
    if lease_selectors.premises_still_leased(lease=lease):
        return
    if lease.unit_id is not None:
        unit = property_selectors.unit_get_for_listing(listing=lease.listing, unit_id=lease.unit_id)
        if unit.status == "rented":
            property_services.unit_update(actor=actor, unit=unit, status="available")
        return
    listing = property_selectors.listing_for_update(lease.listing_id)
    if listing.status == "rented":
        property_services.listing_update(actor=actor, listing=listing, status="available")


OVERLAP_MESSAGE = {
    True: "The unit already has an active lease for these dates.",
    False: "The listing already has an active lease for these dates.",
}


@transaction.atomic
def lease_activate(*, actor: Any, lease: Lease) -> Lease:
    """Activate a draft lease: its rent schedule is created and its unit (or, for a lease of
    the whole listing, the listing) marked rented. The database refuses a second active lease
    of the same unit, or of the same whole listing, with overlapping dates (409)."""
    lease = lease_selectors.lease_for_update(lease.pk)
    if lease.status != LeaseStatus.DRAFT:
        raise Conflict("Only a draft lease can be activated.")
    _check_unit(lease)  # units may have been added to the listing since the draft
    before = audit_snapshot(lease)
    lease.status = LeaseStatus.ACTIVE
    lease.activated_at = timezone.now()
    message = OVERLAP_MESSAGE[lease.unit_id is not None]
    if lease_selectors.active_lease_overlaps(lease=lease):
        raise Conflict(message)
    try:
        with transaction.atomic():
            lease.save(update_fields=["status", "activated_at", "updated_at"])
    except IntegrityError as error:
        raise Conflict(message) from error
    RentPeriod.objects.bulk_create(schedule_for(lease))
    _occupy_premises(actor=actor, lease=lease)
    audit_update(actor=actor, instance=lease, before=before, action="activate", company_id=lease.company_id)
    _publish("lease.activated", lease, actor)
    return lease


@transaction.atomic
def lease_end(*, lease: Lease, today: date | None = None, actor: Any = None) -> bool:
    """End an active lease whose end date has passed: status ``ended``, ``ended_on`` its end
    date, the unit (or listing) available again. Answers whether it changed anything, so a
    second run (or a lease still running, or already over) is a no-op."""
    today = today or timezone.localdate()
    lease = lease_selectors.lease_for_update(lease.pk)
    if lease.status != LeaseStatus.ACTIVE or lease.end_date >= today:
        return False
    before = audit_snapshot(lease)
    lease.status = LeaseStatus.ENDED
    lease.ended_on = lease.end_date
    lease.save(update_fields=["status", "ended_on", "updated_at"])
    _free_premises(actor=actor, lease=lease)
    audit_update(actor=actor, instance=lease, before=before, action="end", company_id=lease.company_id)
    _publish("lease.ended", lease, actor, ended_on=lease.ended_on.isoformat())
    return True


def leases_end_expired(*, today: date | None = None) -> int:
    """The beat job: every active lease past its end date becomes ``ended``, each in its own
    transaction. Safe to run twice or concurrently. Answers how many leases it ended."""
    today = today or timezone.localdate()
    ended = 0
    for lease_id in lease_selectors.lease_ids_to_end(on=today):
        ended += lease_end(lease=Lease(pk=lease_id), today=today)
    return ended


@transaction.atomic
def lease_terminate(*, actor: Any, lease: Lease, reason: str, on: date | None = None) -> Lease:
    """End an active (or draft) lease early on ``on`` (today by default), its last day.

    ``on`` lies between the start and the end date and a reason is required (400 otherwise).
    Periods not yet invoiced are cut at ``on``: those starting after it are deleted, the one
    containing it ends on ``on`` and is prorated by days. Periods already invoiced stay as
    they are (voiding or crediting their invoices is finance's business). The unit (or
    listing) becomes available again."""
    lease = lease_selectors.lease_for_update(lease.pk)
    if lease.status not in (LeaseStatus.ACTIVE, LeaseStatus.DRAFT):
        raise Conflict("The lease is already over.")
    on = on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Required."]
    if on < lease.start_date:
        errors["on"] = [f"Must not be before the start date ({lease.start_date.isoformat()})."]
    elif on > lease.end_date:
        errors["on"] = [f"Must not be after the end date ({lease.end_date.isoformat()})."]
    if errors:
        raise ValidationFailed("The termination is not valid.", errors=errors)
    before = audit_snapshot(lease)
    was_active = lease.status == LeaseStatus.ACTIVE
    lease.status = LeaseStatus.TERMINATED
    lease.termination_reason = reason.strip()
    lease.ended_on = on
    lease.save(update_fields=["status", "termination_reason", "ended_on", "updated_at"])
    uninvoiced = RentPeriod.objects.filter(lease=lease, invoice_id__isnull=True)
    uninvoiced.filter(period_start__gt=on).delete()
    cut = uninvoiced.filter(period_start__lte=on, period_end__gt=on).first()
    if cut is not None:
        full_end = _add_months(cut.period_start, 1) - timedelta(days=1)
        cut.amount = _prorated(Decimal(lease.rent_amount), cut.period_start, on, full_end)
        cut.period_end = on
        cut.due_date = min(cut.due_date, on)
        cut.save(update_fields=["amount", "period_end", "due_date", "updated_at"])
    if was_active:
        _free_premises(actor=actor, lease=lease)
    audit_update(actor=actor, instance=lease, before=before, action="terminate", company_id=lease.company_id)
    _publish("lease.terminated", lease, actor, ended_on=on.isoformat(), reason=lease.termination_reason)
    return lease


@transaction.atomic
def rent_periods_mark_invoiced(*, pairs: list[tuple[UUID, UUID]]) -> None:
    """Record the invoice issued for each rent period (called by finance in its transaction)."""
    periods = [RentPeriod(id=period_id, invoice_id=invoice_id) for period_id, invoice_id in pairs]
    RentPeriod.objects.bulk_update(periods, ["invoice_id"], batch_size=1000)


def late_fee_for(lease: Lease, rent: Decimal) -> Decimal:
    """The late fee of one overdue period under the lease's rule: a fixed amount, or a percent
    (0 < percent <= 100) of ``rent``."""
    if lease.late_fee_type == LateFeeType.FIXED:
        return quantize(lease.late_fee_value)
    if lease.late_fee_type == LateFeeType.PERCENT:
        return quantize(rent * min(lease.late_fee_value, Decimal(100)) / 100)
    return Decimal("0.00")
