"""Maintenance writes: presets, other issues and questions (admin), the public booking,
the one workflow every status change goes through, assignment and rating. Every write is
audited."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any
from uuid import UUID

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.communications.notices import guest_kind, guest_notice
from domus.communications.services import notify_contact
from domus.core.events import event_payload, publish
from domus.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from domus.core.images import image_check
from domus.core.money import quantize
from domus.core.policies import is_admin, require
from domus.finance.services import invoice_create, owner_expense_create
from domus.inventory.services.fittings import serials_fit
from domus.inventory.services.reservations import reservation_create, reservation_issue, reservation_release
from domus.leasing.selectors import active_lease_of_tenant
from domus.maintenance import selectors, sla
from domus.maintenance.models import (
    ApprovalStatus,
    ApprovalThreshold,
    Cause,
    PartStatus,
    Payer,
    PreventiveRun,
    PreventiveSchedule,
    Priority,
    Question,
    QuestionKind,
    Response,
    Transition,
    Vendor,
    VendorStatus,
    WorkOrder,
    WorkOrderCharge,
    WorkOrderCosting,
    WorkOrderPart,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from domus.organizations.selectors import is_company_staff, is_company_worker, platform_default_company_id

S = WorkOrderStatus
# The workflow: from each status, the statuses it may move to.
MOVES: dict[str, tuple[str, ...]] = {
    S.REQUESTED: (S.TRIAGED, S.CANCELLED, S.REJECTED),
    S.TRIAGED: (S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELLED, S.REJECTED),
    S.AWAITING_APPROVAL: (S.TRIAGED, S.SCHEDULED, S.CANCELLED, S.REJECTED),
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
    if emergency and kind == QuestionKind.PHOTO:
        raise ValidationFailed(
            "A photo question has no emergency answer.", errors={"emergency_answer": ["Leave it empty for a photo."]}
        )
    if emergency:
        _check_value(kind=kind, choices=choices, value=emergency, field="emergency_answer")
    _clean_condition(data, row, kind=kind)


def _clean_condition(data: dict[str, Any], row: Question | None, *, kind: str) -> None:
    """A question shown only when an earlier one has a given answer: the earlier question
    asks for the same issue (or every booking), sits at a lower position, is not a photo,
    and the answer is one it accepts (stored normalised, e.g. "yes")."""
    parent_id = data.get("show_if_question_id", row.show_if_question_id if row else None)
    if "show_if_question_id" in data and parent_id is None and "show_if_answer" not in data:
        data["show_if_answer"] = ""  # the condition removed: its answer with it
    answer = data.get("show_if_answer", row.show_if_answer if row else "")
    if parent_id is None:
        if answer:
            raise ValidationFailed(
                "An answer to show on needs its question.", errors={"show_if_question_id": ["Give the question."]}
            )
        return
    field = "show_if_question_id"
    parent = selectors.question_get(parent_id)
    if parent is None:
        raise ValidationFailed("Unknown question.", errors={field: ["No such question."]})
    issue_id = data.get("issue_id", row.issue_id if row else None)
    position = data.get("position", row.position if row else 0)
    if row is not None and parent.pk == row.pk:
        raise ValidationFailed("A question cannot depend on itself.", errors={field: ["Choose an earlier question."]})
    if parent.issue_id is not None and parent.issue_id != issue_id:
        raise ValidationFailed(
            "That question is asked for another issue.", errors={field: ["Not asked with this one."]}
        )
    if parent.position >= position:
        raise ValidationFailed(
            "The question it depends on must come first.",
            errors={field: ["Its position must be lower than this one's."]},
        )
    if parent.kind == QuestionKind.PHOTO:
        raise ValidationFailed(
            "A photo answer cannot show a question.", errors={field: ["Choose a question with words."]}
        )
    if not answer:
        raise ValidationFailed("Say which answer shows it.", errors={"show_if_answer": ["Give the answer."]})
    data["show_if_answer"] = _check_value(
        kind=parent.kind, choices=parent.choices, value=answer, field="show_if_answer"
    )


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
    elif kind == QuestionKind.PHOTO:
        raise ValidationFailed("A photo question is answered with a photo.", errors={field: ["Send a photo."]})
    return value


def _check_answer(*, question: Question, item: dict[str, Any], field: str) -> str | None:
    """The answer's stored value (None for a photo, stored once saved), checked."""
    photo = item.get("photo")
    if question.kind == QuestionKind.PHOTO:
        if photo is None:
            raise ValidationFailed("A photo question is answered with a photo.", errors={field: ["Send a photo."]})
        return None
    if photo is not None:
        raise ValidationFailed("Only a photo question takes a photo.", errors={field: ["Answer in words."]})
    return _check_value(kind=question.kind, choices=question.choices, value=item.get("value") or "", field=field)


def _answer_photo(*, actor: Any, work_order: WorkOrder, upload: Any, field: str) -> WorkOrderPhoto:
    """A photo of the booking (added, or a photo question's answer): JPEG, PNG or WebP
    within MAINTENANCE_PHOTO_MAX_BYTES, decoded whole and within IMAGE_MAX_PIXELS."""
    size = getattr(upload, "size", 0) or 0
    if size == 0 or size > settings.MAINTENANCE_PHOTO_MAX_BYTES:
        raise ValidationFailed(
            "The photo is empty or too large.",
            errors={field: [f"Between 1 and {settings.MAINTENANCE_PHOTO_MAX_BYTES} bytes."]},
        )
    if selectors.photo_count(work_order) >= settings.MAINTENANCE_PHOTOS_PER_BOOKING:
        raise Conflict(f"At most {settings.MAINTENANCE_PHOTOS_PER_BOOKING} photos per booking.")
    facts = image_check(upload, field=field)
    photo = WorkOrderPhoto(
        work_order=work_order,
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        uploaded_by=_user(actor),
    )
    upload.seek(0)
    photo.file.save("photo", upload, save=False)
    photo.save()
    audit_create(actor=actor, instance=photo, company_id=work_order.company_id)
    return photo


def _save_answer(
    *, actor: Any, work_order: WorkOrder, question: Question, item: dict[str, Any], field: str
) -> Response:
    value = _check_answer(question=question, item=item, field=field)
    if question.issue_id is not None and question.issue_id != work_order.issue_id:
        raise ValidationFailed("This question is not asked for this issue.", errors={field: ["Wrong question."]})
    photo = None
    if value is None:
        photo = _answer_photo(actor=actor, work_order=work_order, upload=item["photo"], field=field)
        value = str(photo.pk)
    try:
        with transaction.atomic():
            response = Response.objects.create(work_order=work_order, question=question, value=value, photo=photo)
    except IntegrityError:
        raise Conflict("This question is already answered.", errors={field: ["Already answered."]}) from None
    audit_create(actor=actor, instance=response, company_id=work_order.company_id)
    if question.emergency_answer and value.lower() == question.emergency_answer.strip().lower():
        _set_priority(work_order, Priority.EMERGENCY)
    return response


def calendar_for(work_order: WorkOrder) -> sla.Calendar:
    hours, country = selectors.service_hours_of(work_order.company_id)
    return sla.calendar_of(hours, company_country=country, priority=work_order.priority)


def _set_priority(work_order: WorkOrder, priority: str) -> None:
    """The priority and its deadlines, counted from the booking's creation in the company's
    business hours (round the clock for the priorities so configured)."""
    work_order.priority = priority
    response_hours, resolve_hours = settings.MAINTENANCE_SLA_HOURS[priority]
    calendar = calendar_for(work_order)
    work_order.response_due_at = sla.add_business_hours(work_order.created_at, response_hours, calendar)
    work_order.resolve_due_at = sla.add_business_hours(work_order.created_at, resolve_hours, calendar)
    work_order.save(update_fields=["priority", "response_due_at", "resolve_due_at", "updated_at"])


def _pause_clock(work_order: WorkOrder, now: datetime) -> None:
    work_order.sla_paused_at = now


def _resume_clock(work_order: WorkOrder, now: datetime) -> None:
    """Push the resolution deadline on by the business hours spent waiting on the owner."""
    if work_order.sla_paused_at is None:
        return
    calendar = calendar_for(work_order)
    waited = sla.business_hours_between(work_order.sla_paused_at, now, calendar)
    if work_order.resolve_due_at is not None and waited:
        work_order.resolve_due_at = sla.add_business_hours(
            work_order.resolve_due_at, waited.total_seconds() / 3600, calendar
        )
    work_order.sla_paused_at = None


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
    if question.show_if_question_id is not None:
        asked = selectors.questions_for(work_order.issue_id)
        if question not in selectors.questions_shown(asked, selectors.responses_of(work_order)):
            raise ValidationFailed(
                f"This question is hidden by the answers given: {question.text}",
                errors={
                    "question": [
                        f"Asked only when the answer to “{question.show_if_question}” is “{question.show_if_answer}”."
                    ]
                },
            )
    if question.kind == QuestionKind.PHOTO:
        raise ValidationFailed(
            "A photo question is answered with the booking (answers[].photo).",
            errors={"answer": ["Send the photo with the booking."]},
        )
    return _save_answer(actor=actor, work_order=work_order, question=question, item={"value": value}, field="answer")


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
    slots = data.pop("preferred_slots", None) or []
    if (slots or data.get("permission_to_enter")) and lease is None:
        raise ValidationFailed(
            "Only a signed-in tenant's request gives permission to enter or preferred slots.",
            errors={"permission_to_enter": ["Sign in as the unit's tenant."], "preferred_slots": ["Sign in first."]},
        )
    data["preferred_slots"] = clean_slots(slots)
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
    _flag_repeat(work_order)
    Transition.objects.create(
        work_order=work_order,
        to_status=WorkOrderStatus.REQUESTED,
        actor=user,
        reason="Booked.",
        created_at=timezone.now(),
    )
    audit_create(actor=actor, instance=work_order, company_id=company_id)
    _answer_booking(actor=actor, work_order=work_order, answers=answers)
    _notify("work_order.requested", work_order, actor, extra_recipients=selectors.company_staff_ids(company_id))
    return work_order


def _answer_booking(*, actor: Any, work_order: WorkOrder, answers: list[dict[str, Any]]) -> None:
    """The booking's answers: each checked, then the conditions between questions decided
    from them (an answer to a question they hide is a 400 naming it), then saved (a photo
    question's photo checked whole); the required questions shown must all be answered
    when any answer is given."""
    asked = selectors.questions_for(work_order.issue_id)
    questions = {q.pk: q for q in asked}
    values: dict[UUID, str] = {}
    for i, item in enumerate(answers):
        question = questions.get(item["question_id"])
        if question is None:
            raise ValidationFailed("Unknown question.", errors={f"answers.{i}.question_id": ["Not asked here."]})
        value = _check_answer(question=question, item=item, field=f"answers.{i}.value")
        values[question.pk] = value if value is not None else "photo"
    shown = {q.pk for q in selectors.questions_shown(asked, values)}
    hidden = {
        f"answers.{i}.question_id": [
            f"Asked only when the answer to “{questions[item['question_id']].show_if_question}” is "
            f"“{questions[item['question_id']].show_if_answer}”."
        ]
        for i, item in enumerate(answers)
        if item["question_id"] not in shown
    }
    if hidden:
        names = ", ".join(
            f"“{questions[item['question_id']].text}”" for item in answers if item["question_id"] not in shown
        )
        raise ValidationFailed(f"Answers to questions the other answers hide: {names}.", errors=hidden)
    missing = [str(q.pk) for q in asked if q.pk in shown and q.required and q.pk not in values]
    if missing and answers:
        raise ValidationFailed("Required questions are not answered.", errors={"answers": missing})
    for i, item in enumerate(answers):
        question = questions[item["question_id"]]
        _save_answer(actor=actor, work_order=work_order, question=question, item=item, field=f"answers.{i}.value")


def _flag_repeat(work_order: WorkOrder) -> None:
    """The same unit and issue again within MAINTENANCE_REPEAT_DAYS: a repeat fault."""
    since = work_order.created_at - timedelta(days=settings.MAINTENANCE_REPEAT_DAYS)
    earlier = selectors.earlier_fault(work_order=work_order, since=since)
    if earlier is not None:
        work_order.repeat_of = earlier
        work_order.save(update_fields=["repeat_of", "updated_at"])


def clean_slots(slots: list[dict[str, Any]], *, now: datetime | None = None) -> list[dict[str, str]]:
    """The tenant's preferred windows, checked (at most MAINTENANCE_PREFERRED_SLOTS_MAX,
    each ending after it starts, in the future, none overlapping another) and stored in
    UTC, earliest first."""
    now = now or timezone.now()
    if len(slots) > settings.MAINTENANCE_PREFERRED_SLOTS_MAX:
        raise ValidationFailed(
            "Too many preferred slots.",
            errors={"preferred_slots": [f"At most {settings.MAINTENANCE_PREFERRED_SLOTS_MAX}."]},
        )
    windows = []
    for i, slot in enumerate(slots):
        start, end = (_aware(slot[name]) for name in ("start", "end"))
        if end <= start:
            raise ValidationFailed(
                "A slot ends before it starts.", errors={f"preferred_slots.{i}.end": ["After start."]}
            )
        if start <= now:
            raise ValidationFailed("A slot is in the past.", errors={f"preferred_slots.{i}.start": ["In the future."]})
        windows.append((start, end, i))
    windows.sort()
    for (_, earlier_end, _), (later_start, _, i) in pairwise(windows):
        if later_start < earlier_end:
            raise ValidationFailed("Preferred slots overlap.", errors={f"preferred_slots.{i}": ["Overlaps another."]})
    return [
        {"start": start.astimezone(UTC).isoformat(), "end": end.astimezone(UTC).isoformat()}
        for start, end, _ in windows
    ]


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _outside_slots(work_order: WorkOrder, start: datetime, end: datetime) -> str:
    """The tenant's slots as text when a visit from ``start`` to ``end`` needs their
    presence (no permission to enter) and falls in none of them; '' when it may go ahead."""
    if work_order.permission_to_enter or not work_order.preferred_slots:
        return ""
    start, end = _aware(start), _aware(end)
    windows = [
        (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in work_order.preferred_slots
    ]
    if any(begins <= start and end <= ends for begins, ends in windows):
        return ""
    return ", ".join(f"{begins:%Y-%m-%d %H:%M}-{ends:%H:%M} UTC" for begins, ends in windows)


def _check_visit(
    work_order: WorkOrder, start: datetime, end: datetime, *, override_slots: bool, overridable: bool = True
) -> str:
    """A visit (a technician's or a vendor's) from ``start`` to ``end``: a 400 when it ends
    before it starts, a 409 naming the tenant's preferred slots when it falls outside them
    and the tenant gave no permission to enter (unless ``override_slots``). Answers the
    slots it was booked outside of ('' when inside or no slots apply)."""
    if end <= start:
        raise ValidationFailed("The visit must end after it starts.", errors={"end": ["Must be after start."]})
    outside = _outside_slots(work_order, start, end)
    if outside and not override_slots:
        errors = {"preferred_slots": [f"Preferred: {outside}."]}
        if overridable:
            errors["override_slots"] = ["Set true to book anyway."]
        raise Conflict(
            "The visit is outside the tenant's preferred slots and they gave no permission to enter.", errors=errors
        )
    return outside


def _visit_window(start: datetime | None, end: datetime | None) -> bool:
    """Whether a vendor visit's window is given; both ends or neither."""
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise ValidationFailed("Give the visit's start and end.", errors={missing: ["Give both start and end."]})
    return start is not None


@transaction.atomic
def booking_access_update(
    *, actor: Any, work_order_id: UUID, permission_to_enter: bool | None, preferred_slots: list[dict[str, Any]] | None
) -> WorkOrder:
    """The requesting tenant changes their permission to enter or their preferred slots
    while the job is not yet under way."""
    work_order = selectors.work_order_for_update(work_order_id)
    if work_order.requester_id != getattr(actor, "pk", None) or work_order.lease_id is None:
        raise PermissionDenied("Only the tenant who asked for the repair sets access to the unit.")
    if work_order.status not in (S.REQUESTED, S.TRIAGED, S.AWAITING_APPROVAL, S.SCHEDULED):
        raise Conflict(f"A {work_order.status} booking's access can no longer change.")
    before = audit_snapshot(work_order)
    if permission_to_enter is not None:
        work_order.permission_to_enter = permission_to_enter
    if preferred_slots is not None:
        work_order.preferred_slots = clean_slots(preferred_slots)
    work_order.save(update_fields=["permission_to_enter", "preferred_slots", "updated_at"])
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    return work_order


def _recipients(work_order: WorkOrder) -> list[Any]:
    """Who hears of a job's steps: the requester, the technician, the vendor's user, the owner."""
    vendor_user = work_order.vendor.user_id if work_order.vendor_id else None
    return [work_order.requester_id, work_order.technician_id, vendor_user, selectors.owner_id_of(work_order)]


def _notify(
    event: str, work_order: WorkOrder, actor: Any, *, only: list[Any] | None = None, extra_recipients=(), **extra: Any
) -> None:
    """A domain event (after commit) the communications app turns into notifications."""
    recipients = list(only) if only is not None else _recipients(work_order)
    payload = event_payload(work_order, actor=actor, recipients=[*recipients, *extra_recipients], **extra)
    publish(event, payload)
    if work_order.requester_id is None:
        _tell_guest(event, work_order)


def _tell_guest(event: str, work_order: WorkOrder) -> None:
    """A public booker (no account) hears by e-mail and SMS that their booking was
    received, its visit booked (date and time), the work done, the job closed (or
    cancelled, rejected), at the booking's e-mail and phone; never in the event's payload."""
    kind = guest_kind(event, work_order.status)
    if not kind or not (work_order.email or work_order.phone):
        return
    when = work_order.scheduled_start.astimezone(UTC).isoformat() if work_order.scheduled_start else None
    subject, body = guest_notice(kind, name=work_order.name, address=work_order.address, starts_at=when)
    notify_contact(
        event=event,
        company_id=work_order.company_id,
        email=work_order.email,
        phone=work_order.phone,
        subject=subject,
        body=body,
        reference=work_order.pk,
    )


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
    if to == S.SCHEDULED:
        _require_approval(work_order)
    before = audit_snapshot(work_order)
    now = timezone.now()
    if to == S.AWAITING_APPROVAL:
        _pause_clock(work_order, now)
    elif work_order.status == S.AWAITING_APPROVAL:
        _resume_clock(work_order, now)
    if work_order.status in REOPENED_FROM and to == S.TRIAGED:
        work_order.reopen_count += 1
        work_order.resolved_at = None
    if to == S.TRIAGED and work_order.responded_at is None:
        work_order.responded_at = now
    if to in (S.WORK_DONE, S.CLOSED) and work_order.resolved_at is None:
        work_order.resolved_at = now
    if to in (S.TRIAGED, S.SCHEDULED):
        _add_typical_parts(actor=actor, work_order=work_order)
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
    moved_from = work_order.status
    work_order.status = to
    work_order.save()
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    if to == S.CLOSED:
        _bill(actor=actor, work_order=work_order)
    _notify("work_order.status_changed", work_order, actor, from_status=moved_from, reason=reason)
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
def assign_technician(
    *, actor: Any, work_order_id: UUID, technician: Any, start: datetime, end: datetime, override_slots: bool = False
) -> WorkOrder:
    """Book a technician (a worker of the booking's company) for a visit; a 409 when they
    are already booked then (checked here, enforced on PostgreSQL by a constraint), and,
    when the tenant gave no permission to enter, when the visit is outside every slot the
    tenant prefers (unless ``override_slots``)."""
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff assign work.")
    outside = _check_visit(work_order, start, end, override_slots=override_slots)
    if not (is_company_worker(technician, work_order.company_id) and not is_admin(technician)):
        raise ValidationFailed("Not a worker of this company.", errors={"technician_id": ["Not company staff."]})
    if selectors.technician_overlaps(technician_id=technician.pk, start=start, end=end, exclude_id=work_order.pk):
        raise Conflict("The technician is already booked then.", errors={"technician_id": ["Double booked."]})
    before = audit_snapshot(work_order)
    work_order.technician = technician
    work_order.scheduled_start, work_order.scheduled_end = start, end
    moved_from = work_order.status if work_order.status in (S.TRIAGED, S.AWAITING_APPROVAL) else None
    if moved_from:
        _require_approval(work_order)
        if moved_from == S.AWAITING_APPROVAL:
            _resume_clock(work_order, timezone.now())
        _add_typical_parts(actor=actor, work_order=work_order)
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
            reason="Technician booked" + (" outside the tenant's preferred slots." if outside else "."),
            created_at=timezone.now(),
        )
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    _notify("work_order.assigned", work_order, actor, only=[technician.pk, work_order.requester_id])
    return work_order


@transaction.atomic
def assign_vendor(
    *,
    actor: Any,
    work_order_id: UUID,
    vendor_id: UUID,
    start: datetime | None = None,
    end: datetime | None = None,
    override_slots: bool = False,
) -> WorkOrder:
    """Offer a job to a vendor of the company, with the visit's window when the desk sets
    it (checked against the tenant's preferred slots like a technician's visit)."""
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff assign work.")
    vendor = selectors.vendor_visible_to(actor).filter(pk=vendor_id, company_id=work_order.company_id).first()
    if vendor is None:
        raise NotFound("Unknown vendor.", errors={"vendor_id": ["No such vendor of this company."]})
    timed = _visit_window(start, end)
    if timed:
        _check_visit(work_order, start, end, override_slots=override_slots)
    before = audit_snapshot(work_order)
    work_order.vendor, work_order.vendor_status = vendor, VendorStatus.PENDING
    if timed:
        work_order.technician = None  # the vendor's visit replaces a technician's
        work_order.scheduled_start, work_order.scheduled_end = start, end
    work_order.save()
    audit_update(actor=actor, instance=work_order, before=before, company_id=work_order.company_id)
    _notify("work_order.offered", work_order, actor, only=[vendor.user_id])
    return work_order


@transaction.atomic
def vendor_respond(
    *,
    actor: Any,
    work_order_id: UUID,
    accept: bool,
    reason: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
) -> WorkOrder:
    """The assigned vendor accepts (with the visit's window when they set it: inside the
    tenant's preferred slots unless the tenant gave permission to enter; only the desk
    books outside them) or declines (they are unassigned)."""
    work_order = selectors.work_order_for_update(work_order_id)
    if not (work_order.vendor_id and work_order.vendor.user_id == getattr(actor, "pk", None)):
        raise NotFound("Booking not found.")
    if work_order.vendor_status != VendorStatus.PENDING:
        raise Conflict("This job is not waiting for your answer.")
    timed = accept and _visit_window(start, end)
    if timed:
        _check_visit(work_order, start, end, override_slots=False, overridable=False)
    before = audit_snapshot(work_order)
    work_order.vendor_status = VendorStatus.ACCEPTED if accept else VendorStatus.DECLINED
    if timed:
        work_order.technician = None
        work_order.scheduled_start, work_order.scheduled_end = start, end
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
    _notify(
        "work_order.vendor_answered",
        work_order,
        actor,
        only=selectors.company_staff_ids(work_order.company_id),
        vendor_status=work_order.vendor_status,
    )
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


def _add_typical_parts(*, actor: Any, work_order: WorkOrder) -> None:
    """The issue preset's typical parts as proposed (wanted) lines, once per work order
    (the caller holds its lock and saves it): a reopened or rescheduled job gets none
    again. Parts no longer in the catalog, or inactive, are left out."""
    if work_order.typical_parts_added or work_order.issue_id is None:
        return
    work_order.typical_parts_added = True
    wanted = []
    for item in work_order.issue.typical_parts or []:
        try:
            wanted.append((UUID(str(item["part_id"])), Decimal(str(item.get("quantity", 1)))))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            continue
    active = selectors.active_part_ids([part_id for part_id, _ in wanted])
    for part_id, quantity in wanted:
        if part_id not in active or quantity <= 0:
            continue
        line = WorkOrderPart.objects.create(work_order=work_order, part_id=part_id, quantity=quantity, from_preset=True)
        audit_create(actor=actor, instance=line, company_id=work_order.company_id)


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
def part_issue(
    *, actor: Any, work_order_id: UUID, line_id: UUID, quantity: Decimal | None, serial_numbers: list[str] = ()
) -> WorkOrderPart:
    """Issue reserved units used on the job: a posted stock issue entry for this job. The
    serials of a serialized part are named one per unit, and are recorded as fitted at
    the job's unit (or listing)."""
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
    serial_numbers = list(serial_numbers or [])
    entry = reservation_issue(
        actor=actor, reservation_id=line.reservation_id, quantity=quantity, serial_numbers=serial_numbers
    )
    if serial_numbers and (work_order.unit_id or work_order.listing_id):
        serials_fit(
            actor=actor,
            entry=entry,
            part_id=line.part_id,
            serial_numbers=serial_numbers,
            listing_id=work_order.listing_id,
            unit_id=work_order.unit_id,
        )
    line.issued += quantity
    line.status = PartStatus.ISSUED
    line.save(update_fields=["issued", "status", "updated_at"])
    audit_update(actor=actor, instance=line, before=before, company_id=work_order.company_id)
    return line


# Costing and billing on close ----------------------------------------------------------------

COSTING_FIELDS = (
    "cause",
    "payer",
    "labour_hours",
    "labour_rate",
    "vendor_invoice_amount",
    "vendor_invoice_reference",
    "estimate_amount",
    "estimate_note",
)


def payer_of(work_order: WorkOrder, costing: WorkOrderCosting) -> str:
    """Who pays: the payer set on the job, else by its cause (damage: the tenant; warranty:
    the company; wear and tear, preventive: the owner), falling back to the company when the
    job has no tenant or owner to bill."""
    payer = costing.payer or {
        Cause.TENANT_DAMAGE: Payer.TENANT,
        Cause.WARRANTY: Payer.COMPANY,
    }.get(costing.cause, Payer.OWNER)
    if payer == Payer.TENANT and selectors.tenant_id_of(work_order) is None:
        return Payer.COMPANY
    if payer == Payer.OWNER and selectors.owner_id_of(work_order) is None:
        return Payer.COMPANY
    return payer


def _markup(amount: Decimal, kind: str) -> Decimal:
    return quantize(amount * (1 + settings.MAINTENANCE_MARKUP_PERCENT[kind] / 100))


def cost_of(work_order: WorkOrder, costing: WorkOrderCosting) -> dict[str, Decimal]:
    """Labour (hours x the job's, the vendor's or the default rate), the stock cost of the
    parts issued to the job and the vendor's invoice, each with its markup."""
    rate = costing.labour_rate
    if rate is None and work_order.vendor_id and work_order.vendor.hourly_rate is not None:
        rate = work_order.vendor.hourly_rate
    if rate is None:
        rate = settings.MAINTENANCE_LABOUR_RATE
    parts = sum(selectors.parts_cost_of(work_order).values(), Decimal(0))
    return {
        "labour": _markup(costing.labour_hours * rate, "labour"),
        "parts": _markup(parts, "parts"),
        "vendor": _markup(costing.vendor_invoice_amount, "vendor"),
    }


def _currency_of(work_order: WorkOrder) -> str:
    if work_order.listing_id:
        return work_order.listing.currency
    return work_order.company.currency


def _bill(*, actor: Any, work_order: WorkOrder) -> WorkOrderCharge | None:
    """Raise the job's charge once: a chargeback invoice to the tenant, an owner expense on
    the owner's statement, or the company's own cost. A job closed again (after a reopen)
    is not billed again: the charge's primary key is the work order."""
    if selectors.charge_of(work_order.pk) is not None:
        return None
    costing = selectors.costing_for_update(work_order)
    payer = payer_of(work_order, costing)
    amounts = cost_of(work_order, costing)
    total = sum(amounts.values(), Decimal(0))
    charge = WorkOrderCharge(
        work_order=work_order,
        company_id=work_order.company_id,
        payer=payer,
        currency=_currency_of(work_order),
        total=total,
        created_by=_user(actor),
        created_at=timezone.now(),
        **amounts,
    )
    try:
        with transaction.atomic():
            charge.save(force_insert=True)
    except IntegrityError:
        return None  # billed by a concurrent close
    description = f"Repair {str(work_order.pk)[:8]}: {work_order.issue or work_order.other_issue or work_order.name}"
    if total > 0 and payer == Payer.TENANT:
        lines = [
            {"kind": "other", "description": f"{description} - {label}", "quantity": 1, "unit_price": amount}
            for label, amount in (
                ("labour", amounts["labour"]),
                ("parts", amounts["parts"]),
                ("contractor", amounts["vendor"]),
            )
            if amount > 0
        ]
        tenant = work_order.lease.tenant
        invoice = invoice_create(
            actor=actor,
            company_id=work_order.company_id,
            recipient=tenant,
            lines=lines,
            due_date=timezone.localdate() + timedelta(days=settings.MAINTENANCE_CHARGEBACK_DUE_DAYS),
            currency=charge.currency,
            listing_id=work_order.listing_id,
            notes=f"Chargeback for repair work order {work_order.pk}.",
            issue=True,
        )
        charge.invoice_id, charge.payer_user = invoice.pk, tenant
    elif total > 0 and payer == Payer.OWNER:
        owner_id = selectors.owner_id_of(work_order)
        expense = owner_expense_create(
            actor=actor,
            company_id=work_order.company_id,
            owner_id=owner_id,
            amount=total,
            description=description[:255],
            listing_id=work_order.listing_id,
            currency=charge.currency,
        )
        charge.owner_expense_id, charge.payer_user_id = expense.pk, owner_id
    charge.save(update_fields=["invoice_id", "owner_expense_id", "payer_user"])
    audit_record(
        actor=actor,
        action="bill",
        resource_type="maintenance.workordercharge",
        resource_id=str(work_order.pk),
        changes={"payer": {"before": None, "after": payer}, "total": {"before": None, "after": str(total)}},
        company_id=work_order.company_id,
    )
    return charge


@transaction.atomic
def costing_update(*, actor: Any, work_order_id: UUID, data: dict[str, Any]) -> WorkOrderCosting:
    """Staff set the cause, the payer, labour, the vendor's invoice and the estimate. A new
    estimate asks the owner again when it needs their approval; a billed job is frozen."""
    work_order = selectors.work_order_for_update(work_order_id)
    require(_may_manage(actor, work_order), "Only the company's staff cost jobs.")
    if selectors.charge_of(work_order.pk) is not None:
        raise Conflict("This job is billed; its costs are final.")
    costing = selectors.costing_for_update(work_order)
    before = audit_snapshot(costing)
    estimate_changed = "estimate_amount" in data and data["estimate_amount"] != costing.estimate_amount
    for name in COSTING_FIELDS:
        if name in data and data[name] is not None:
            setattr(costing, name, data[name])
    if "estimate_amount" in data and data["estimate_amount"] is None:
        costing.estimate_amount = None
    if estimate_changed and costing.approval_status:
        costing.approval_status, costing.approval_by, costing.approval_at = ApprovalStatus.NONE, None, None
    costing.save()
    audit_update(actor=actor, instance=costing, before=before, company_id=work_order.company_id)
    if estimate_changed and needs_approval(work_order, costing) and work_order.status == S.TRIAGED:
        _ask_owner(actor=actor, work_order=work_order, costing=costing)
    return costing


# Owner approval -----------------------------------------------------------------------------


def needs_approval(work_order: WorkOrder, costing: WorkOrderCosting) -> bool:
    """An owner-paid estimate above the owner's threshold, not yet approved."""
    if costing.estimate_amount is None or costing.approval_status == ApprovalStatus.APPROVED:
        return False
    if payer_of(work_order, costing) != Payer.OWNER:
        return False
    limit = selectors.approval_threshold(company_id=work_order.company_id, owner_id=selectors.owner_id_of(work_order))
    return limit is not None and costing.estimate_amount > limit


def _require_approval(work_order: WorkOrder) -> None:
    costing = selectors.costing_of(work_order)
    if needs_approval(work_order, costing):
        state = costing.approval_status or "not asked"
        raise Conflict(
            "The owner must approve this estimate before work starts.",
            errors={"status": [f"Owner approval: {state}."]},
        )


def _ask_owner(*, actor: Any, work_order: WorkOrder, costing: WorkOrderCosting) -> None:
    """Ask the owner: the job waits (its clock paused) and the owner is notified."""
    now = timezone.now()
    costing.approval_status = ApprovalStatus.PENDING
    costing.save(update_fields=["approval_status"])
    Transition.objects.create(
        work_order=work_order,
        from_status=work_order.status,
        to_status=S.AWAITING_APPROVAL,
        actor=_user(actor),
        reason=f"Estimate {costing.estimate_amount} needs the owner's approval.",
        created_at=now,
    )
    work_order.status = S.AWAITING_APPROVAL
    _pause_clock(work_order, now)
    work_order.save(update_fields=["status", "sla_paused_at", "updated_at"])
    _notify(
        "work_order.approval_requested",
        work_order,
        actor,
        only=[selectors.owner_id_of(work_order)],
        estimate=str(costing.estimate_amount),
        currency=_currency_of(work_order),
        note=costing.estimate_note,
    )


@transaction.atomic
def approval_decide(*, actor: Any, work_order_id: UUID, approve: bool, reason: str = "") -> WorkOrder:
    """The owner approves or declines the estimate; either way the job goes back to the desk
    (triaged) with its clock running again. Declined, it cannot be scheduled at the owner's
    cost: the desk cancels it, lowers the estimate or bills someone else."""
    work_order = selectors.work_order_for_update(work_order_id)
    if selectors.owner_id_of(work_order) != getattr(actor, "pk", None):
        raise PermissionDenied("Only the owner decides on this estimate.")
    costing = selectors.costing_for_update(work_order)
    if costing.approval_status != ApprovalStatus.PENDING:
        raise Conflict("No estimate is waiting for your approval.")
    before = audit_snapshot(costing)
    now = timezone.now()
    costing.approval_status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DECLINED
    costing.approval_by, costing.approval_at, costing.approval_reason = actor, now, reason
    costing.save()
    audit_update(actor=actor, instance=costing, before=before, company_id=work_order.company_id)
    if work_order.status == S.AWAITING_APPROVAL:
        _resume_clock(work_order, now)
        Transition.objects.create(
            work_order=work_order,
            from_status=S.AWAITING_APPROVAL,
            to_status=S.TRIAGED,
            actor=actor,
            reason=("Owner approved. " if approve else "Owner declined. ") + reason,
            created_at=now,
        )
        work_order.status = S.TRIAGED
        work_order.save(update_fields=["status", "resolve_due_at", "sla_paused_at", "updated_at"])
    _notify(
        "work_order.approval_decided",
        work_order,
        actor,
        only=[*selectors.company_staff_ids(work_order.company_id), work_order.technician_id],
        approval=costing.approval_status,
    )
    return work_order


@transaction.atomic
def threshold_set(*, actor: Any, company_id: UUID, owner_id: UUID | None, amount: Decimal) -> ApprovalThreshold:
    """Set (or replace) a company's threshold for one owner, or its default."""
    require(is_company_staff(actor, company_id), "Only the company's staff set approval thresholds.")
    row = ApprovalThreshold.objects.select_for_update().filter(company_id=company_id, owner_id=owner_id).first()
    if row is None:
        row = ApprovalThreshold(company_id=company_id, owner_id=owner_id, amount=amount)
        _save(row)
        audit_create(actor=actor, instance=row, company_id=company_id)
        return row
    before = audit_snapshot(row)
    row.amount = amount
    row.save()
    audit_update(actor=actor, instance=row, before=before, company_id=company_id)
    return row


@transaction.atomic
def threshold_delete(*, actor: Any, row: ApprovalThreshold) -> None:
    require(is_company_staff(actor, row.company_id), "Only the company's staff remove approval thresholds.")
    simple_delete(actor=actor, row=row)


@transaction.atomic
def service_hours_set(*, actor: Any, company_id: UUID, data: dict[str, Any]) -> Any:
    """A company's business hours, zone and holiday country for SLA clocks (open jobs keep
    the deadlines they have)."""
    from domus.maintenance.models import ServiceHours

    require(is_company_staff(actor, company_id), "Only the company's staff set service hours.")
    if data["closes"] <= data["opens"]:
        raise ValidationFailed("Closing is before opening.", errors={"closes": ["Must be after opens."]})
    row = ServiceHours.objects.select_for_update().filter(company_id=company_id).first()
    before = audit_snapshot(row) if row else None
    row = row or ServiceHours(company_id=company_id)
    for name, value in data.items():
        setattr(row, name, value)
    row.save()
    if before is None:
        audit_create(actor=actor, instance=row, company_id=company_id)
    else:
        audit_update(actor=actor, instance=row, before=before, company_id=company_id)
    return row


# SLA alerts ---------------------------------------------------------------------------------


def sla_alerts_send(*, now: datetime | None = None) -> int:
    """Alert the desk and the assignee of open jobs whose resolution deadline is within
    MAINTENANCE_SLA_ALERT_HOURS (or past); each job is alerted once."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.MAINTENANCE_SLA_ALERT_HOURS)
    sent = 0
    for work_order in selectors.sla_at_risk(now=now, horizon=horizon):
        with transaction.atomic():
            claimed = WorkOrder.objects.filter(pk=work_order.pk, sla_alerted_at__isnull=True).update(sla_alerted_at=now)
            if not claimed:
                continue
            vendor_user = work_order.vendor.user_id if work_order.vendor_id else None
            _notify(
                "work_order.sla_at_risk",
                work_order,
                None,
                only=[*selectors.company_staff_ids(work_order.company_id), work_order.technician_id, vendor_user],
                resolve_due_at=work_order.resolve_due_at.isoformat(),
                breached=work_order.resolve_due_at <= now,
            )
            sent += 1
    return sent


# Preventive schedules -------------------------------------------------------------------------

MAX_LEAD_DAYS = 365


def _next_due(schedule: PreventiveSchedule, after: date) -> date:
    """The first due date of the schedule after ``after``."""
    if schedule.every_days:
        return after + timedelta(days=schedule.every_days)
    if schedule.every_months:
        return (datetime.combine(after, datetime.min.time()) + relativedelta(months=schedule.every_months)).date()
    rule = _rule(schedule.rule, schedule.starts_on)
    found = rule.after(datetime.combine(after, datetime.min.time()))
    if found is None:
        return date.max
    return found.date()


def _rule(text: str, starts_on: date) -> Any:
    try:
        return rrulestr(text, dtstart=datetime.combine(starts_on, datetime.min.time()))
    except (ValueError, TypeError) as error:
        raise ValidationFailed("Not a valid recurrence rule.", errors={"rule": [str(error)[:200]]}) from None


def _clean_schedule(data: dict[str, Any], row: PreventiveSchedule | None) -> None:
    values = {name: data.get(name, getattr(row, name, None)) for name in ("every_days", "every_months", "rule")}
    given = [name for name in ("every_days", "every_months", "rule") if values[name]]
    if len(given) != 1:
        raise ValidationFailed(
            "Give exactly one of every_days, every_months or rule.",
            errors={name: ["Exactly one recurrence."] for name in ("every_days", "every_months", "rule")},
        )
    if values["rule"]:
        rule = _rule(values["rule"], data.get("starts_on") or row.starts_on)
        if rule.after(datetime.combine(data.get("starts_on") or row.starts_on, datetime.min.time()), inc=True) is None:
            raise ValidationFailed("The rule never falls due.", errors={"rule": ["No occurrence."]})
    for name in ("every_days", "every_months", "rule"):
        if not values[name]:
            data[name] = "" if name == "rule" else None


@transaction.atomic
def schedule_create(*, actor: Any, data: dict[str, Any]) -> PreventiveSchedule:
    require(is_company_staff(actor, data["company_id"]), "Only the company's staff plan preventive work.")
    _clean_schedule(data, None)
    schedule = PreventiveSchedule(**data)
    if schedule.rule:
        first = _rule(schedule.rule, schedule.starts_on).after(
            datetime.combine(schedule.starts_on, datetime.min.time()), inc=True
        )
        schedule.next_due_on = first.date()
    else:
        schedule.next_due_on = schedule.starts_on
    _save(schedule)
    audit_create(actor=actor, instance=schedule, company_id=schedule.company_id)
    return schedule


@transaction.atomic
def schedule_update(*, actor: Any, schedule: PreventiveSchedule, data: dict[str, Any]) -> PreventiveSchedule:
    require(is_company_staff(actor, schedule.company_id), "Only the company's staff plan preventive work.")
    if any(name in data for name in ("every_days", "every_months", "rule")):
        _clean_schedule(data, schedule)
    before = audit_snapshot(schedule)
    for name, value in data.items():
        setattr(schedule, name, value)
    _save(schedule)
    audit_update(actor=actor, instance=schedule, before=before, company_id=schedule.company_id)
    return schedule


def _open_preventive(schedule: PreventiveSchedule, due_on: date) -> WorkOrder | None:
    """One due date's work order; None when it already exists (the unique schedule + due
    date lets exactly one of two racing generators make it)."""
    try:
        with transaction.atomic():
            work_order = WorkOrder.objects.create(
                company_id=schedule.company_id,
                branch_id=schedule.branch_id,
                listing_id=schedule.listing_id,
                unit_id=schedule.unit_id,
                issue_id=schedule.issue_id,
                technician_id=schedule.technician_id,
                name=schedule.title[:200],
                email="",
                address=schedule.asset,
                preferred_date=due_on,
                message=f"Preventive maintenance due {due_on.isoformat()}"
                + (f": {schedule.asset}" if schedule.asset else ""),
                status=S.TRIAGED,
            )
            PreventiveRun.objects.create(schedule=schedule, due_on=due_on, work_order=work_order)
    except IntegrityError:
        return None
    WorkOrderCosting.objects.create(work_order=work_order, cause=Cause.PREVENTIVE)
    _set_priority(work_order, schedule.priority)
    _add_typical_parts(actor=None, work_order=work_order)
    work_order.save(update_fields=["typical_parts_added", "updated_at"])
    now = timezone.now()
    Transition.objects.create(
        work_order=work_order, to_status=S.TRIAGED, reason=f"Preventive schedule, due {due_on}.", created_at=now
    )
    audit_create(actor=None, instance=work_order, company_id=work_order.company_id)
    return work_order


def preventive_generate(*, today: date | None = None) -> int:
    """Open the work orders of every schedule whose next due date is within its lead days,
    each due date exactly once (schedules locked one at a time, skipped while another
    worker holds them; the unique schedule + due date settles any race), then send the
    reminders that fall due. Returns the number opened."""
    today = today or timezone.localdate()
    opened = 0
    for schedule_id in selectors.schedules_due(until=today + timedelta(days=MAX_LEAD_DAYS)):
        with transaction.atomic():
            schedule = selectors.schedule_lock(schedule_id)
            if schedule is None or not schedule.is_active:
                continue
            moved = False
            while (
                schedule.next_due_on - timedelta(days=schedule.lead_days) <= today and schedule.next_due_on < date.max
            ):
                if _open_preventive(schedule, schedule.next_due_on) is not None:
                    opened += 1
                schedule.next_due_on = _next_due(schedule, schedule.next_due_on)
                moved = True
            if moved:
                schedule.save(update_fields=["next_due_on", "updated_at"])
    preventive_remind(today=today)
    return opened


def preventive_remind(*, today: date) -> int:
    """Remind the schedule's technician and the desk ``remind_days`` before a due date."""
    sent = 0
    for run in selectors.runs_to_remind(today=today):
        with transaction.atomic():
            if not PreventiveRun.objects.filter(pk=run.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                continue
            work_order = run.work_order
            _notify(
                "work_order.preventive_due",
                work_order,
                None,
                only=[run.schedule.technician_id, *selectors.company_staff_ids(work_order.company_id)],
                due_on=run.due_on.isoformat(),
                asset=run.schedule.asset,
            )
            sent += 1
    return sent


# Photos -------------------------------------------------------------------------------------


@transaction.atomic
def photo_add(*, actor: Any, work_order_id: UUID, upload: Any) -> WorkOrderPhoto:
    """A photo of the fault or the work, from the requester, the desk or the assigned
    technician or vendor: JPEG, PNG or WebP within MAINTENANCE_PHOTO_MAX_BYTES, decoded
    whole and within IMAGE_MAX_PIXELS (the one image check)."""
    work_order = selectors.work_order_for_update(work_order_id)
    pk = getattr(actor, "pk", None)
    allowed = (
        _may_manage(actor, work_order)
        or work_order.requester_id == pk
        or work_order.technician_id == pk
        or (work_order.vendor_id is not None and work_order.vendor.user_id == pk)
    )
    require(allowed, "Only the requester, the desk or the assigned worker add photos.")
    if work_order.status in (S.CLOSED, S.CANCELLED, S.REJECTED):
        raise Conflict(f"A {work_order.status} booking takes no more photos.")
    return _answer_photo(actor=actor, work_order=work_order, upload=upload, field="file")
