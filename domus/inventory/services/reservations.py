"""Reservations: the service API of the maintenance side. A job reserves parts at a
branch (they stop being available to any other issue), then issues what it used and
releases the rest.

    reservation_create(*, actor, part_id, branch_id, quantity, job_id) -> Reservation
    reservation_issue(*, actor, reservation_id, quantity=None, serial_numbers=()) -> StockEntry
    reservation_release(*, actor, reservation_id) -> Reservation
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction

from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.inventory import selectors
from domus.inventory.models import EntryKind, Reservation, ReservationStatus, SparePart, Stock
from domus.inventory.services.stock import StockError, entry_create, entry_post, retried


def _lock_stock(*, part: SparePart, branch_id: UUID, company_id: UUID) -> Stock:
    Stock.objects.bulk_create(
        [Stock(part=part, branch_id=branch_id, company_id=company_id, currency=part.currency)], ignore_conflicts=True
    )
    return selectors.stocks_for_update([(part.pk, branch_id)])[(part.pk, branch_id)]


@retried
@transaction.atomic
def reservation_create(*, actor: Any, part_id: UUID, branch_id: UUID, quantity: Decimal, job_id: UUID) -> Reservation:
    """Hold ``quantity`` of the part at the branch for ``job_id``; a 409 when fewer are
    available (on hand less what is already reserved)."""
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise ValidationFailed("Reserve more than zero.", errors={"quantity": ["Must be more than 0."]})
    part = selectors.parts_by_id([part_id]).get(part_id)
    if part is None:
        raise NotFound("Unknown part.", errors={"part_id": ["No such spare part."]})
    company_id = selectors.branch_company_id(actor=actor, branch_id=branch_id, company_id=None, field="branch_id")
    stock = _lock_stock(part=part, branch_id=branch_id, company_id=company_id)
    available = stock.on_hand - stock.reserved
    if quantity > available:
        raise Conflict(
            f"Only {available.normalize():f} of {part.part_number} available to reserve.",
            errors={"reason": [StockError.INSUFFICIENT]},
        )
    Stock.objects.filter(pk=stock.pk, reserved=stock.reserved).update(reserved=stock.reserved + quantity)
    reservation = Reservation.objects.create(
        company_id=company_id,
        part=part,
        branch_id=branch_id,
        job_id=job_id,
        quantity=quantity,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_create(actor=actor, instance=reservation, company_id=company_id)
    return reservation


@retried
@transaction.atomic
def reservation_issue(
    *, actor: Any, reservation_id: UUID, quantity: Decimal | None = None, serial_numbers: Sequence[str] = ()
):
    """Issue ``quantity`` (all that is still held when empty) of a reservation for its job:
    a posted issue entry that takes the units out of the reserved stock."""
    reservation = selectors.reservation_get(reservation_id=reservation_id)
    if reservation.status != ReservationStatus.ACTIVE:
        raise Conflict("The reservation is no longer active.", errors={"reason": [StockError.INSUFFICIENT]})
    quantity = Decimal(quantity) if quantity is not None else reservation.quantity - reservation.issued
    entry = entry_create(
        actor=actor,
        kind=EntryKind.ISSUE,
        company_id=reservation.company_id,
        branch_id=reservation.branch_id,
        job_id=reservation.job_id,
        reference=f"Reservation {reservation.pk}",
        lines=[
            {
                "part_id": reservation.part_id,
                "quantity": quantity,
                "serial_numbers": list(serial_numbers),
                "reservation": reservation,
            }
        ],
    )
    return entry_post(actor=actor, entry_id=entry.pk)


@retried
@transaction.atomic
def reservation_release(*, actor: Any, reservation_id: UUID) -> Reservation:
    """Give back what a reservation still holds (the job is done or cancelled)."""
    reservation = selectors.reservation_get(reservation_id=reservation_id)
    part = selectors.parts_by_id([reservation.part_id])[reservation.part_id]
    stock = _lock_stock(part=part, branch_id=reservation.branch_id, company_id=reservation.company_id)
    reservation = selectors.reservation_for_update(reservation.pk)
    if reservation.status != ReservationStatus.ACTIVE:
        raise Conflict("The reservation is no longer active.", errors={"reason": [StockError.INSUFFICIENT]})
    before = audit_snapshot(reservation)
    held = reservation.quantity - reservation.issued
    Stock.objects.filter(pk=stock.pk, reserved=stock.reserved).update(reserved=stock.reserved - held)
    reservation.status = ReservationStatus.RELEASED
    reservation.save(update_fields=["status", "updated_at"])
    audit_update(actor=actor, instance=reservation, before=before, company_id=reservation.company_id)
    return reservation
