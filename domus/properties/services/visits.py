"""Every write of visits (viewings). A visit holds its slot while requested or
confirmed; no two such visits overlap for one agent or one listing: checked here
inside the transaction, and on PostgreSQL guaranteed by exclusion constraints whose
violation (a concurrent booking) answers the same 409. One customer holds a capped
number of open (not yet started) visits per listing and per agent, checked under a lock
of the customer's row (locks are taken in one order: customer, listing, visit)."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import Conflict, UnknownReference, ValidationFailed
from domus.organizations.selectors import company_require_active
from domus.properties.models import Visit, VisitStatus
from domus.properties.selectors.visits import (
    bookable_listing,
    lock_customer,
    open_visit_counts,
    overlapping_visit,
    visit_for_update,
)

VISIT_REQUESTED = "visit.requested"
VISIT_CONFIRMED = "visit.confirmed"
VISIT_RESCHEDULED = "visit.rescheduled"
VISIT_CANCELLED = "visit.cancelled"
VISIT_COMPLETED = "visit.completed"
MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=4)
# SQLSTATE of an exclusion-constraint violation (PostgreSQL).
EXCLUSION_VIOLATION = "23P01"
SLOT_TAKEN = "The slot overlaps another visit of this agent or this listing."


def _aware(value: datetime) -> datetime:
    """Times without an offset are taken as UTC (Domus stores and answers every time in UTC)."""
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _valid_slot(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    errors: dict[str, list[str]] = {}
    if starts_at <= timezone.now():
        errors["starts_at"] = ["The visit must start in the future."]
    duration = ends_at - starts_at
    if duration <= timedelta(0):
        errors["ends_at"] = ["The visit must end after it starts."]
    elif not MIN_DURATION <= duration <= MAX_DURATION:
        errors["ends_at"] = ["A visit lasts from 15 minutes to 4 hours."]
    if errors:
        raise ValidationFailed("Invalid visit slot.", errors=errors)
    return starts_at, ends_at


def _slot_free(*, visit: Visit, starts_at: datetime, ends_at: datetime) -> None:
    clash = overlapping_visit(
        agent_id=visit.agent_id,
        listing_id=visit.listing_id,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_id=visit.pk if not visit._state.adding else None,
    )
    if clash is not None:
        raise Conflict(SLOT_TAKEN, errors={"starts_at": [f"Taken from {clash.starts_at:%Y-%m-%dT%H:%M}Z."]})


def _within_caps(visit: Visit) -> None:
    """409 when the customer already holds as many open visits as allowed for the
    listing or with its agent (the caller holds the customer's lock)."""
    for_listing, with_agent = open_visit_counts(
        customer_id=visit.customer_id,
        listing_id=visit.listing_id,
        agent_id=visit.agent_id,
        exclude_id=visit.pk if not visit._state.adding else None,
    )
    if for_listing >= settings.VISIT_MAX_OPEN_PER_LISTING:
        raise Conflict(
            f"You already have {for_listing} open viewing requests for this listing.",
            errors={"listing_id": [f"At most {settings.VISIT_MAX_OPEN_PER_LISTING} open per listing."]},
        )
    if with_agent >= settings.VISIT_MAX_OPEN_PER_AGENT:
        raise Conflict(
            f"You already have {with_agent} open viewing requests with this listing's agent.",
            errors={"listing_id": [f"At most {settings.VISIT_MAX_OPEN_PER_AGENT} open per agent."]},
        )


def _save(visit: Visit) -> None:
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            # A concurrent booking took the slot between our check and our write.
            raise Conflict(SLOT_TAKEN, errors={"starts_at": ["This slot was just taken."]}) from None
        raise


def _move(visit: Visit, new_status: str) -> None:
    allowed = visit.allowed_next_statuses()
    if new_status not in allowed:
        raise Conflict(
            f"A visit cannot move from {visit.status} to {new_status}.",
            errors={"status": [f"Allowed next statuses: {', '.join(allowed) or 'none'}."]},
        )
    visit.status = new_status


def _payload(visit: Visit, actor: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(visit.pk),
        "listing_id": str(visit.listing_id),
        "customer_id": str(visit.customer_id),
        "agent_id": str(visit.agent_id),
        "starts_at": visit.starts_at.isoformat(),
        "ends_at": visit.ends_at.isoformat(),
        "actor_id": str(actor.pk) if getattr(actor, "is_authenticated", False) else None,
        **extra,
    }


@transaction.atomic
def visit_create(*, actor: Any, listing_id: UUID, starts_at: datetime, ends_at: datetime, note: str = "") -> Visit:
    """Request a viewing of a published listing, shown by the listing's agent (400 when
    it has none); 409 when the slot overlaps an active visit of the agent or listing, or
    when the customer already holds their cap of open visits for the listing or with its
    agent."""
    lock_customer(actor.pk)
    listing = bookable_listing(listing_id)
    if listing is None:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["No published listing with this id."]})
    if listing.agent_id is None:
        raise ValidationFailed(
            "This listing has no agent to show it.", errors={"listing_id": ["The listing has no assigned agent."]}
        )
    company_require_active(listing.company_id, field="listing_id", doing="take viewing requests")
    starts_at, ends_at = _valid_slot(starts_at, ends_at)
    visit = Visit(
        listing=listing,
        customer=actor,
        agent_id=listing.agent_id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
    )
    _within_caps(visit)
    _slot_free(visit=visit, starts_at=starts_at, ends_at=ends_at)
    _save(visit)
    audit_create(actor=actor, instance=visit, company_id=listing.company_id)
    publish(VISIT_REQUESTED, _payload(visit, actor))
    return visit


def _reschedule(*, actor: Any, visit: Visit, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    if not visit.is_active:
        raise Conflict(
            f"A {visit.status} visit cannot be rescheduled.",
            errors={"status": [f"Allowed next statuses: {', '.join(visit.allowed_next_statuses()) or 'none'}."]},
        )
    starts_at, ends_at = _valid_slot(starts_at, ends_at)
    if visit.starts_at <= timezone.now():
        # A visit whose time has passed holds no place under the caps; moved ahead it does.
        _within_caps(visit)
    _slot_free(visit=visit, starts_at=starts_at, ends_at=ends_at)
    previous = {"previous_starts_at": visit.starts_at.isoformat(), "previous_ends_at": visit.ends_at.isoformat()}
    visit.starts_at, visit.ends_at = starts_at, ends_at
    if actor.pk == visit.customer_id and actor.pk != visit.agent_id:
        # A new time the customer chose waits for the agent's confirmation again.
        visit.status, visit.confirmed_at = VisitStatus.REQUESTED, None
    return previous


@transaction.atomic
def visit_reschedule(*, actor: Any, visit: Visit, starts_at: datetime, ends_at: datetime) -> Visit:
    """Move an active visit to a new slot (same rules as a request). When the customer
    moves it, it waits for the agent's confirmation again."""
    lock_customer(visit.customer_id)
    visit = visit_for_update(visit.pk)
    before = audit_snapshot(visit)
    previous = _reschedule(actor=actor, visit=visit, starts_at=starts_at, ends_at=ends_at)
    _save(visit)
    audit_update(actor=actor, instance=visit, before=before, action="reschedule", company_id=visit.listing.company_id)
    publish(VISIT_RESCHEDULED, _payload(visit, actor, status=visit.status, **previous))
    return visit


@transaction.atomic
def visit_update(*, actor: Any, visit: Visit, **fields: Any) -> Visit:
    """Change a visit's note and/or its slot (a new slot is a reschedule)."""
    lock_customer(visit.customer_id)
    visit = visit_for_update(visit.pk)
    before = audit_snapshot(visit)
    previous = None
    starts_at = fields.get("starts_at", visit.starts_at)
    ends_at = fields.get("ends_at", visit.ends_at)
    if _aware(starts_at) != visit.starts_at or _aware(ends_at) != visit.ends_at:
        previous = _reschedule(actor=actor, visit=visit, starts_at=starts_at, ends_at=ends_at)
    if fields.get("note") is not None:
        visit.note = fields["note"].strip()
    _save(visit)
    audit_update(actor=actor, instance=visit, before=before, company_id=visit.listing.company_id)
    if previous is not None:
        publish(VISIT_RESCHEDULED, _payload(visit, actor, status=visit.status, **previous))
    return visit


@transaction.atomic
def visit_confirm(*, actor: Any, visit: Visit) -> Visit:
    """The agent (or the company's staff) confirms a requested visit."""
    visit = visit_for_update(visit.pk)
    company_require_active(visit.listing.company_id, field="listing_id", doing="take viewing requests")
    before = audit_snapshot(visit)
    _move(visit, VisitStatus.CONFIRMED)
    visit.confirmed_at = timezone.now()
    _save(visit)
    audit_update(actor=actor, instance=visit, before=before, action="confirm", company_id=visit.listing.company_id)
    publish(VISIT_CONFIRMED, _payload(visit, actor))
    return visit


@transaction.atomic
def visit_cancel(*, actor: Any, visit: Visit, reason: str = "") -> Visit:
    """Cancel an active visit; its slot is free again."""
    visit = visit_for_update(visit.pk)
    before = audit_snapshot(visit)
    _move(visit, VisitStatus.CANCELLED)
    visit.cancelled_at, visit.cancel_reason = timezone.now(), reason.strip()
    _save(visit)
    audit_update(actor=actor, instance=visit, before=before, action="cancel", company_id=visit.listing.company_id)
    publish(VISIT_CANCELLED, _payload(visit, actor, reason=visit.cancel_reason))
    return visit


@transaction.atomic
def visit_complete(*, actor: Any, visit: Visit) -> Visit:
    """Mark a confirmed visit as done, once it has started."""
    visit = visit_for_update(visit.pk)
    before = audit_snapshot(visit)
    _move(visit, VisitStatus.COMPLETED)
    if visit.starts_at > timezone.now():
        raise Conflict(
            "A visit cannot be completed before it starts.", errors={"status": ["The visit has not started."]}
        )
    visit.completed_at = timezone.now()
    _save(visit)
    audit_update(actor=actor, instance=visit, before=before, action="complete", company_id=visit.listing.company_id)
    publish(VISIT_COMPLETED, _payload(visit, actor))
    return visit


@transaction.atomic
def visit_change(*, actor: Any, visit: Visit, status: str | None = None, **fields: Any) -> Visit:
    """``visit_update`` with the fields given, then, when ``status`` is a new one, the
    operation that makes it (confirm, cancel or complete), in one transaction. The caller
    checks the permission of that operation (``visit_status_policy``)."""
    if fields:
        visit = visit_update(actor=actor, visit=visit, **fields)
    if status is None or status == visit.status:
        return visit
    operation = _STATUS_OPERATIONS.get(status)
    if operation is None:
        raise ValidationFailed(
            f"A visit cannot be set back to {status}.",
            errors={"status": [f"One of: {', '.join(_STATUS_OPERATIONS)}."]},
        )
    return operation(actor=actor, visit=visit)


_STATUS_OPERATIONS = {
    VisitStatus.CONFIRMED: visit_confirm,
    VisitStatus.CANCELLED: visit_cancel,
    VisitStatus.COMPLETED: visit_complete,
}


@transaction.atomic
def visit_delete(*, actor: Any, visit: Visit) -> None:
    """Remove a visit (audited with its last state); an active one is announced as cancelled."""
    visit = visit_for_update(visit.pk)
    snapshot = audit_snapshot(visit)
    if visit.is_active:
        publish(VISIT_CANCELLED, _payload(visit, actor, reason="deleted"))
    visit_id, company_id = visit.pk, visit.listing.company_id
    visit.delete()
    audit_record(
        actor=actor,
        action="delete",
        resource_type=Visit._meta.label_lower,
        resource_id=visit_id,
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
        company_id=company_id,
    )
