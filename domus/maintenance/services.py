"""Maintenance writes: presets, other issues and questions (admin), the public booking,
the one workflow every status change goes through, assignment and rating. Every write is
audited."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.core.policies import is_admin, require
from domus.inventory.services.reservations import reservation_create, reservation_issue, reservation_release
from domus.leasing.selectors import active_lease_of_tenant
from domus.maintenance import selectors
from domus.maintenance.models import (
    PartStatus,
    Priority,
    Question,
    QuestionKind,
    Response,
    Transition,
    Vendor,
    VendorStatus,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStatus,
)
from domus.organizations.selectors import is_company_staff, is_company_worker, platform_default_company_id

S = WorkOrderStatus
# The workflow: from each status, the statuses it may move to.
MOVES: dict[str, tuple[str, ...]] = {
    S.REQUESTED: (S.TRIAGED, S.CANCELLED, S.REJECTED),
    S.TRIAGED: (S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELLED, S.REJECTED),
    S.AWAITING_APPROVAL: (S.SCHEDULED, S.CANCELLED, S.REJECTED),
    S.SCHEDULED: (S.IN_PROGRESS, S.CANCELLED),
    S.IN_PROGRESS: (S.WORK_DONE, S.CANCELLED),
    S.WORK_DONE: (S.READY_TO_BILL, S.TRIAGED),
    S.READY_TO_BILL: (S.CLOSED, S.TRIAGED),
    S.CLOSED: (S.TRIAGED,),
    S.CANCELLED: (),
    S.REJECTED: (),
}
REOPENED_FROM = (S.WORK_DONE, S.READY_TO_BILL, S.CLOSED)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _save(row: models.Model) -> None:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as error:
        raise Conflict(f"This {row._meta.verbose_name} clashes with another one.") from error


# Presets, other issues, questions (admin CRUD) ----------------------------------------------


def _clean_question(data: dict[str, Any], row: Question | None) -> None:
    kind = data.get("kind", row.kind if row else QuestionKind.TEXT)
    choices = data.get("choices", row.choices if row else [])
    if kind == QuestionKind.CHOICE and not choices:
        raise ValidationFailed("A choice question needs choices.", errors={"choices": ["Give at least one choice."]})
    issue_id = data.get("issue_id")
    if issue_id is not None and selectors.preset_get(issue_id) is None:
        raise NotFound("Unknown issue.", errors={"issue_id": ["No such issue."]})
    emergency = data.get("emergency_answer", row.emergency_answer if row else "")
    if emergency:
        _check_value(kind=kind, choices=choices, value=emergency, field="emergency_answer")


def _clean_parts(data: dict[str, Any]) -> None:
    if data.get("typical_parts") is not None:
        data["typical_parts"] = [
            {"part_id": str(item["part_id"]), "quantity": str(item.get("quantity", 1))}
            for item in data["typical_parts"]
        ]


@transaction.atomic
def simple_create(*, actor: Any, model: type[models.Model], data: dict[str, Any]) -> models.Model:
    if model is Question:
        _clean_question(data, None)
    _clean_parts(data)
    row = model(**data)
    _save(row)
    audit_create(actor=actor, instance=row)
    return row


@transaction.atomic
def simple_update(*, actor: Any, row: models.Model, data: dict[str, Any]) -> models.Model:
    if isinstance(row, Question):
        _clean_question(data, row)
    _clean_parts(data)
    before = audit_snapshot(row)
    for name, value in data.items():
        setattr(row, name, value)
    _save(row)
    audit_update(actor=actor, instance=row, before=before)
    return row


@transaction.atomic
def simple_delete(*, actor: Any, row: models.Model) -> None:
    snapshot = audit_snapshot(row)
    try:
        with transaction.atomic():
            row.delete()
    except (models.ProtectedError, IntegrityError):
        raise Conflict(f"This {row._meta.verbose_name} is used by bookings; deactivate it instead.") from None
    audit_record(
        actor=actor,
        action="delete",
        resource_type=row._meta.label_lower,
        resource_id=snapshot["id"],
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
    )


# Answers ----------------------------------------------------------------------------------


def _check_value(*, kind: str, choices: list, value: str, field: str) -> str:
    value = str(value).strip()
    if kind == QuestionKind.NUMBER:
        try:
            Decimal(value)
        except InvalidOperation:
            raise ValidationFailed("Not a number.", errors={field: ["Must be a number."]}) from None
    elif kind == QuestionKind.YES_NO:
        lowered = value.lower()
        if lowered not in ("yes", "no", "true", "false"):
            raise ValidationFailed("Answer yes or no.", errors={field: ["Must be yes or no."]})
        value = "yes" if lowered in ("yes", "true") else "no"
    elif kind == QuestionKind.CHOICE and value not in [str(c) for c in choices]:
        raise ValidationFailed("Not one of the choices.", errors={field: [f"Must be one of {choices}."]})
    return value


def _answer(*, actor: Any, work_order: WorkOrder, question: Question, value: Any, field: str) -> Response:
    value = _check_value(kind=question.kind, choices=question.choices, value=value, field=field)
    if question.issue_id is not None and question.issue_id != work_order.issue_id:
        raise ValidationFailed("This question is not asked for this issue.", errors={field: ["Wrong question."]})
    try:
        with transaction.atomic():
            response = Response.objects.create(work_order=work_order, question=question, value=value)
    except IntegrityError:
        raise Conflict("This question is already answered.", errors={field: ["Already answered."]}) from None
    audit_create(actor=actor, instance=response, company_id=work_order.company_id)
    if question.emergency_answer and value.lower() == question.emergency_answer.strip().lower():
        _set_priority(work_order, Priority.EMERGENCY)
    return response


def _set_priority(work_order: WorkOrder, priority: str) -> None:
    work_order.priority = priority
    response_hours, resolve_hours = settings.MAINTENANCE_SLA_HOURS[priority]
    work_order.response_due_at = work_order.created_at + timedelta(hours=response_hours)
    work_order.resolve_due_at = work_order.created_at + timedelta(hours=resolve_hours)
    work_order.save(update_fields=["priority", "response_due_at", "resolve_due_at", "updated_at"])


@transaction.atomic
def response_create(*, actor: Any, work_order_id: UUID, question_id: UUID, value: Any) -> Response:
    """Answer a question of a booking still being requested (public: the booking's id is
    the proof of having made it)."""
    work_order = selectors.work_order_exists(work_order_id)
    if work_order is None:
        raise NotFound("Unknown booking.", errors={"booking": ["No such booking."]})
    if work_order.status != WorkOrderStatus.REQUESTED:
        raise Conflict("Answers are taken only while the booking is requested.")
    question = selectors.question_get(question_id)
    if question is None:
        raise NotFound("Unknown question.", errors={"question": ["No such question."]})
    return _answer(actor=actor, work_order=work_order, question=question, value=value, field="answer")


# Bookings ---------------------------------------------------------------------------------


@transaction.atomic
def booking_create(*, actor: Any, data: dict[str, Any], answers: list[dict[str, Any]]) -> WorkOrder:
    """A booking from the public or a signed-in tenant (whose lease and unit are linked)."""
    issue_id, other_id = data.pop("issue_id", None), data.pop("other_issue_id", None)
    issue = other = None
    if issue_id is not None and (issue := selectors.preset_get(issue_id)) is None:
        raise NotFound("Unknown issue.", errors={"issue": ["No such issue."]})
    if other_id is not None and (other := selectors.other_issue_get(other_id)) is None:
        raise NotFound("Unknown issue.", errors={"other_issue": ["No such issue."]})
    user = _user(actor)
    lease = active_lease_of_tenant(user.pk) if user else None
    company_id = lease.company_id if lease else platform_default_company_id()
    if company_id is None:
        raise Conflict("No company takes public bookings yet.")
    work_order = WorkOrder(
        company_id=company_id,
        issue=issue,
        other_issue=other,
        requester=user,
        lease=lease,
        listing_id=lease.listing_id if lease else None,
        unit_id=lease.unit_id if lease else None,
        **data,
    )
    work_order.full_clean(exclude=["company", "priority"], validate_constraints=False)
    work_order.save()
    _set_priority(work_order, issue.default_priority if issue else Priority.NORMAL)
    Transition.objects.create(
        work_order=work_order,
        to_status=WorkOrderStatus.REQUESTED,
        actor=user,
        reason="Booked.",
        created_at=timezone.now(),
    )
    audit_create(actor=actor, instance=work_order, company_id=company_id)
    questions = {q.pk: q for q in selectors.questions_for(work_order.issue_id)}
    given = set()
    for i, item in enumerate(answers):
        question = questions.get(item["question_id"])
        if question is None:
            raise ValidationFailed("Unknown question.", errors={f"answers.{i}.question_id": ["Not asked here."]})
        _answer(actor=actor, work_order=work_order, question=question, value=item["value"], field=f"answers.{i}.value")
        given.add(question.pk)
    missing = [str(q.pk) for q in questions.values() if q.required and q.pk not in given]
    if missing and answers:
        raise ValidationFailed("Required questions are not answered.", errors={"answers": missing})
    return work_order


def _may_manage(actor: Any, work_order: WorkOrder) -> bool:
    return is_company_staff(actor, work_order.company_id)


@transaction.atomic
def booking_move(*, actor: Any, work_order_id: UUID, to: str, reason: str = "") -> WorkOrder:
    """The one way a booking's status changes: a 409 listing the allowed moves otherwise."""
    work_order = selectors.work_order_for_update(work_order_id)
    is_vendor_or_tech = actor is not None and (
        work_order.technician_id == getattr(actor, "pk", None)
        or (work_order.vendor_id and work_order.vendor.user_id == getattr(actor, "pk", None))
    )
    field_moves = (S.IN_PROGRESS, S.WORK_DONE)
    require(
        _may_manage(actor, work_order) or (is_vendor_or_tech and to in field_moves),
        "Only the company's staff change this status.",
    )
    allowed = MOVES[work_order.status]
    if to not in allowed:
        raise Conflict(
            f"A {work_order.status} booking cannot move to {to}.",
            errors={"status": [f"Allowed: {', '.join(allowed) or 'none'}."]},
        )
    if to == S.SCHEDULED and not (work_order.technician_id or work_order.vendor_id):
        raise Conflict("Assign a technician or vendor before scheduling.", errors={"status": ["Not assigned."]})
    before = audit_snapshot(work_order)
    now = timezone.now()
    if work_order.status in REOPENED_FROM and to == S.TRIAGED:
        work_order.reopen_count += 1
        work_order.resolved_at = None
    if to == S.TRIAGED and work_order.responded_at is None:
        work_order.responded_at = now
    if to in (S.WORK_DONE, S.CLOSED) and work_order.resolved_at is None:
        work_order.resolved_at = now
    if to == S.SCHEDULED:
        _reserve_parts(actor=actor, work_order=work_order)
    elif to in (S.WORK_DONE, S.CANCELLED):
        _release_parts(actor=actor, work_order=work_order)
    Transition.objects.create(
        work_order=work_order,
        from_status=work_order.status,
        to_status=to,
        actor=_user(actor),
        reason=reason,
        created_at=now,
    )
    work_order.status = to
    work_order.save()
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    return work_order


@transaction.atomic
def booking_update(*, actor: Any, work_order_id: UUID, data: dict[str, Any]) -> WorkOrder:
    """Staff edits of notes, priority and branch; a ``status`` goes through ``booking_move``."""
    status, reason = data.pop("status", None), data.pop("reason", "") or ""
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff edit bookings.")
    before = audit_snapshot(work_order)
    priority = data.pop("priority", None)
    for name, value in data.items():
        setattr(work_order, name, value)
    work_order.save()
    if priority and priority != work_order.priority:
        _set_priority(work_order, priority)
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    if status and status != work_order.status:
        work_order = booking_move(actor=actor, work_order_id=work_order_id, to=status, reason=reason)
    return work_order


@transaction.atomic
def assign_technician(*, actor: Any, work_order_id: UUID, technician: Any, start: datetime, end: datetime) -> WorkOrder:
    """Book a technician (a worker of the booking's company) for a visit; a 409 when they
    are already booked then (checked here, enforced on PostgreSQL by a constraint)."""
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff assign work.")
    if end <= start:
        raise ValidationFailed("The visit must end after it starts.", errors={"end": ["Must be after start."]})
    if not (is_company_worker(technician, work_order.company_id) and not is_admin(technician)):
        raise ValidationFailed("Not a worker of this company.", errors={"technician_id": ["Not company staff."]})
    if selectors.technician_overlaps(technician_id=technician.pk, start=start, end=end, exclude_id=work_order.pk):
        raise Conflict("The technician is already booked then.", errors={"technician_id": ["Double booked."]})
    before = audit_snapshot(work_order)
    work_order.technician = technician
    work_order.scheduled_start, work_order.scheduled_end = start, end
    moved_from = work_order.status if work_order.status in (S.TRIAGED, S.AWAITING_APPROVAL) else None
    if moved_from:
        _reserve_parts(actor=actor, work_order=work_order)
        work_order.status = S.SCHEDULED
    try:
        with transaction.atomic():
            work_order.save()
    except IntegrityError:
        raise Conflict("The technician is already booked then.", errors={"technician_id": ["Double booked."]}) from None
    if moved_from:
        Transition.objects.create(
            work_order=work_order,
            from_status=moved_from,
            to_status=S.SCHEDULED,
            actor=_user(actor),
            reason="Technician booked.",
            created_at=timezone.now(),
        )
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    return work_order


@transaction.atomic
def assign_vendor(*, actor: Any, work_order_id: UUID, vendor_id: UUID) -> WorkOrder:
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff assign work.")
    vendor = selectors.vendor_visible_to(actor).filter(pk=vendor_id, company_id=work_order.company_id).first()
    if vendor is None:
        raise NotFound("Unknown vendor.", errors={"vendor_id": ["No such vendor of this company."]})
    before = audit_snapshot(work_order)
    work_order.vendor, work_order.vendor_status = vendor, VendorStatus.PENDING
    work_order.save()
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    return work_order


@transaction.atomic
def vendor_respond(*, actor: Any, work_order_id: UUID, accept: bool, reason: str = "") -> WorkOrder:
    """The assigned vendor accepts (the job is scheduled) or declines (it goes back to triage)."""
    work_order = selectors.work_order_for_update(work_order_id)
    if not (work_order.vendor_id and work_order.vendor.user_id == getattr(actor, "pk", None)):
        raise NotFound("Booking not found.")
    if work_order.vendor_status != VendorStatus.PENDING:
        raise Conflict("This job is not waiting for your answer.")
    before = audit_snapshot(work_order)
    work_order.vendor_status = VendorStatus.ACCEPTED if accept else VendorStatus.DECLINED
    if not accept:
        work_order.vendor = None
    work_order.save()
    Transition.objects.create(
        work_order=work_order,
        from_status=work_order.status,
        to_status=work_order.status,
        actor=_user(actor),
        reason=("Vendor accepted. " if accept else "Vendor declined. ") + reason,
        created_at=timezone.now(),
    )
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    return work_order


@transaction.atomic
def booking_rate(*, actor: Any, work_order_id: UUID, rating: int, comment: str = "") -> WorkOrder:
    work_order = selectors.work_order_for_update(work_order_id)
    if work_order.requester_id != getattr(actor, "pk", None):
        raise NotFound("Booking not found.")
    if work_order.status != S.CLOSED:
        raise Conflict("Rate a booking once it is closed.")
    before = audit_snapshot(work_order)
    work_order.rating, work_order.rating_comment = rating, comment
    work_order.save()
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    return work_order


@transaction.atomic
def vendor_create(*, actor: Any, data: dict[str, Any]) -> Any:
    require(is_company_staff(actor, data["company_id"]), "Only the company's staff add vendors.")
    vendor = Vendor(**data)
    _save(vendor)
    audit_create(actor=actor, instance=vendor, company_id=vendor.company_id)
    return vendor


# Parts: reserved from the branch's stock when scheduled, issued when used, the rest released


def _reserve_parts(*, actor: Any, work_order: WorkOrder) -> None:
    """Reserve every wanted part at the booking's branch (a 409 when stock is short)."""
    wanted = [line for line in selectors.parts_of(work_order) if line.status == PartStatus.WANTED]
    if not wanted:
        return
    if work_order.branch_id is None:
        raise Conflict("Set the booking's branch to reserve its parts.", errors={"branch_id": ["Required."]})
    for line in wanted:
        reservation = reservation_create(
            actor=actor,
            part_id=line.part_id,
            branch_id=work_order.branch_id,
            quantity=line.quantity,
            job_id=work_order.pk,
        )
        line.reservation, line.status = reservation, PartStatus.RESERVED
        line.save(update_fields=["reservation", "status", "updated_at"])


def _release_parts(*, actor: Any, work_order: WorkOrder) -> None:
    """Give back what the job still holds (work done, or cancelled)."""
    for line in selectors.parts_of(work_order):
        if line.status == PartStatus.RESERVED or (line.status == PartStatus.ISSUED and line.issued < line.quantity):
            reservation_release(actor=actor, reservation_id=line.reservation_id)
            line.status = PartStatus.RELEASED if line.issued == 0 else PartStatus.ISSUED
            line.save(update_fields=["status", "updated_at"])


@transaction.atomic
def part_add(*, actor: Any, work_order_id: UUID, part_id: UUID, quantity: Decimal) -> WorkOrderPart:
    """A part the job needs; reserved at once when the booking is already scheduled."""
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff plan parts.")
    if work_order.status in (S.WORK_DONE, S.READY_TO_BILL, S.CLOSED, S.CANCELLED, S.REJECTED):
        raise Conflict(f"A {work_order.status} booking takes no more parts.")
    if not selectors.spare_part_exists(part_id):
        raise NotFound("Unknown part.", errors={"part_id": ["No such spare part."]})
    line = WorkOrderPart.objects.create(work_order=work_order, part_id=part_id, quantity=quantity)
    audit_create(actor=actor, instance=line, company_id=work_order.company_id)
    if work_order.status in (S.SCHEDULED, S.IN_PROGRESS):
        _reserve_parts(actor=actor, work_order=work_order)
        line.refresh_from_db()
    return line


@transaction.atomic
def part_issue(*, actor: Any, work_order_id: UUID, line_id: UUID, quantity: Decimal | None) -> WorkOrderPart:
    """Issue reserved units used on the job: a posted stock issue entry for this job."""
    work_order = selectors.work_order_for_update(work_order_id)
    is_field = work_order.technician_id == getattr(actor, "pk", None) or (
        work_order.vendor_id is not None and work_order.vendor.user_id == getattr(actor, "pk", None)
    )
    require(_may_manage(actor, work_order) or is_field, "Only staff or the assigned worker issue parts.")
    line = selectors.part_for_update(work_order=work_order, line_id=line_id)
    if line.status not in (PartStatus.RESERVED, PartStatus.ISSUED) or line.issued >= line.quantity:
        raise Conflict("Nothing of this part is reserved for the job.", errors={"reason": ["not_reserved"]})
    quantity = line.quantity - line.issued if quantity is None else Decimal(quantity)
    if quantity > line.quantity - line.issued:
        raise ValidationFailed("More than is reserved.", errors={"quantity": ["More than is reserved."]})
    before = audit_snapshot(line)
    reservation_issue(actor=actor, reservation_id=line.reservation_id, quantity=quantity)
    line.issued += quantity
    line.status = PartStatus.ISSUED
    line.save(update_fields=["issued", "status", "updated_at"])
    audit_update(actor=actor, instance=line, before=before, company_id=work_order.company_id)
    return line
