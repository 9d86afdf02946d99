"""Nurturing sequences: enrolment, the step machine advanced by the beat, pause and
resume, edits that never re-run passed steps, automatic exit and pause."""

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, UnknownReference
from domus.crm.selectors import company_leads, lead_brief
from domus.marketing import selectors
from domus.marketing.models import Enrolment, EnrolmentStatus, Segment, Sequence, SequenceStatus, Touch, TouchStatus
from domus.marketing.services.common import company_for, hand_over, lead_zone, preferences_of

OPEN = (EnrolmentStatus.ACTIVE, EnrolmentStatus.PAUSED)
MAX_STEPS_PER_TICK = 50


def _steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps as stored: the fields of the step's type only (times as HH:MM)."""
    keep = {
        "wait": ("days", "hours", "minutes", "until_weekday", "until_time"),
        "send": ("channel", "subject", "body"),
        "condition": ("condition",),
        "branch": ("condition", "then", "otherwise"),
        "task": ("title", "note"),
        "end": (),
    }
    stored = []
    for step in steps:
        row = {"id": step["id"], "type": step["type"]}
        for name in keep[step["type"]]:
            value = step.get(name)
            if isinstance(value, time):
                value = value.strftime("%H:%M")
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if v is not None}
            if value is not None:
                row[name] = value
        stored.append(row)
    return stored


def _enrol_segment(company_id: UUID, segment_id: UUID | None) -> Segment | None:
    if segment_id is None:
        return None
    segment = Segment.objects.filter(pk=segment_id, company_id=company_id).first()
    if segment is None:
        raise UnknownReference("Unknown segment.", errors={"enrol_segment_id": ["Not a segment of this company."]})
    return segment


@transaction.atomic
def sequence_create(
    *, actor: Any, name: str, steps: list[dict], company_id: UUID | None = None, enrol_segment_id=None, **fields: Any
) -> Sequence:
    company_id = company_for(actor, company_id)
    sequence = Sequence.objects.create(
        company_id=company_id,
        name=name.strip(),
        steps=_steps(steps),
        enrol_segment=_enrol_segment(company_id, enrol_segment_id),
        created_by=actor,
        **fields,
    )
    audit_create(actor=actor, instance=sequence, company_id=company_id)
    return sequence


def _position_after_edit(enrolment: Enrolment, old: list[dict], new: list[dict]) -> str:
    """Where a walk goes on after its sequence's steps were edited: its current step if
    it is still there, else the next of the old steps that is still there; a step it
    passed is never the answer."""
    new_ids = [s["id"] for s in new]
    if enrolment.current_step in new_ids:
        return enrolment.current_step
    old_ids = [s["id"] for s in old]
    passed = set(enrolment.passed_steps)
    if enrolment.current_step in old_ids:
        for step_id in old_ids[old_ids.index(enrolment.current_step) + 1 :]:
            if step_id in new_ids and step_id not in passed:
                return step_id
    return ""


@transaction.atomic
def sequence_update(*, actor: Any, sequence: Sequence, **fields: Any) -> Sequence:
    """Edit a sequence; leads already in it keep their place and never re-run a step
    they passed (a step added before their place is skipped)."""
    sequence = Sequence.objects.select_for_update().get(pk=sequence.pk)
    before = audit_snapshot(sequence)
    old_steps = sequence.steps
    if "enrol_segment_id" in fields:
        sequence.enrol_segment = _enrol_segment(sequence.company_id, fields.pop("enrol_segment_id"))
    if fields.get("steps") is not None:
        sequence.steps = _steps(fields.pop("steps"))
        for enrolment in Enrolment.objects.select_for_update().filter(sequence=sequence, status__in=OPEN):
            position = _position_after_edit(enrolment, old_steps, sequence.steps)
            if position != enrolment.current_step:
                enrolment.current_step, enrolment.waiting = position, False
                enrolment.due_at = timezone.now()
                if not position:
                    _finish(enrolment, EnrolmentStatus.COMPLETED, "")
                enrolment.save()
    for name, value in fields.items():
        if value is not None:
            setattr(sequence, name, value)
    sequence.save()
    audit_update(actor=actor, instance=sequence, before=before, company_id=sequence.company_id)
    return sequence


def _wait_length(step: dict) -> timedelta:
    return timedelta(days=step.get("days", 0), hours=step.get("hours", 0), minutes=step.get("minutes", 0))


def _wait_until(step: dict, start: datetime, zone_name: Any) -> datetime:
    """When a wait step started at ``start`` ends (a weekday/time wait: the next such
    moment in the lead's zone)."""
    if step.get("until_weekday") is None:
        return start + _wait_length(step)
    local = start.astimezone(zone_name)
    at = time.fromisoformat(step["until_time"])
    days = (step["until_weekday"] - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days), at, tzinfo=zone_name)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate


def _resume_due(enrolment: Enrolment, sequence: Sequence, now: datetime) -> datetime:
    """A walk resumed on a started wait waits its whole length again, counted from now."""
    step = _step(sequence, enrolment.current_step)
    if enrolment.waiting and step is not None and step["type"] == "wait":
        return _wait_until(step, now, _zone_of(enrolment))
    return now


@transaction.atomic
def sequence_pause(*, actor: Any, sequence: Sequence, action: str, now: datetime | None = None) -> Sequence:
    """Pause or resume a whole sequence. Resuming continues every walk at its step, a
    started wait counted from the resume."""
    sequence = Sequence.objects.select_for_update().get(pk=sequence.pk)
    if sequence.status == SequenceStatus.ARCHIVED:
        raise Conflict("An archived sequence cannot be paused or resumed.")
    before = audit_snapshot(sequence, ["status"])
    now = now or timezone.now()
    if action == "pause" and sequence.status == SequenceStatus.ACTIVE:
        sequence.status, sequence.paused_at = SequenceStatus.PAUSED, now
    elif action == "resume" and sequence.status == SequenceStatus.PAUSED:
        for enrolment in Enrolment.objects.select_for_update().filter(sequence=sequence, status=EnrolmentStatus.ACTIVE):
            enrolment.due_at = _resume_due(enrolment, sequence, now)
            enrolment.save(update_fields=["due_at", "updated_at"])
        sequence.status, sequence.paused_at = SequenceStatus.ACTIVE, None
    else:
        return sequence
    sequence.save()
    audit_update(actor=actor, instance=sequence, before=before, action=action, company_id=sequence.company_id)
    return sequence


@transaction.atomic
def enrolment_pause(
    *, actor: Any, enrolment: Enrolment, action: str, reason: str = "", now: datetime | None = None
) -> Enrolment:
    """Pause or resume one lead's walk (resume: at its step, a started wait counted
    from now)."""
    enrolment = Enrolment.objects.select_for_update().select_related("sequence").get(pk=enrolment.pk)
    before = audit_snapshot(enrolment, ["status"])
    now = now or timezone.now()
    if action == "pause" and enrolment.status == EnrolmentStatus.ACTIVE:
        enrolment.status, enrolment.paused_at, enrolment.pause_reason = EnrolmentStatus.PAUSED, now, reason
    elif action == "resume" and enrolment.status == EnrolmentStatus.PAUSED:
        enrolment.status, enrolment.paused_at, enrolment.pause_reason = EnrolmentStatus.ACTIVE, None, ""
        enrolment.due_at = _resume_due(enrolment, enrolment.sequence, now)
    else:
        return enrolment
    enrolment.save()
    audit_update(
        actor=actor, instance=enrolment, before=before, action=action, company_id=enrolment.sequence.company_id
    )
    return enrolment


def _refusal(sequence: Sequence, lead_id: UUID, now: datetime) -> str:
    last = selectors.enrolment_last(sequence_id=sequence.pk, lead_id=lead_id)
    if last is None:
        return ""
    if last.status in OPEN:
        return "Already in this sequence."
    if not sequence.reentry_allowed:
        return "Already went through this sequence (re-entry is off)."
    ended = last.ended_at or last.updated_at
    if ended + timedelta(days=sequence.reentry_cooldown_days) > now:
        return f"Re-entry cooldown ({sequence.reentry_cooldown_days} days) not over."
    return ""


def sequence_enrol(
    *, actor: Any, sequence: Sequence, lead_ids: list[UUID], now: datetime | None = None
) -> dict[str, Any]:
    """Enrol leads of the sequence's company: each once, unless re-entry is allowed and
    its cooldown is over. Answers those enrolled and why the others were not."""
    sequence = Sequence.objects.get(pk=sequence.pk)
    if sequence.status == SequenceStatus.ARCHIVED:
        raise Conflict("An archived sequence enrols no one.")
    known = set(company_leads(sequence.company_id).filter(pk__in=list(lead_ids)).values_list("id", flat=True))
    now = now or timezone.now()
    enrolled: list[UUID] = []
    refused: dict[str, str] = {}
    first = sequence.steps[0]["id"] if sequence.steps else ""
    for lead_id in dict.fromkeys(lead_ids):
        if lead_id not in known:
            refused[str(lead_id)] = "Not a lead of this company."
            continue
        reason = _refusal(sequence, lead_id, now)
        if reason:
            refused[str(lead_id)] = reason
            continue
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    sequence=sequence,
                    lead_id=lead_id,
                    current_step=first,
                    due_at=now,
                    enrolled_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                audit_create(actor=actor, instance=enrolment, company_id=sequence.company_id)
        except IntegrityError:
            refused[str(lead_id)] = "Already in this sequence."
            continue
        enrolled.append(enrolment.pk)
    if enrolled:
        transaction.on_commit(lambda: _enqueue_advance([str(e) for e in enrolled]), robust=True)
    return {"enrolled": enrolled, "refused": refused}


def _enqueue_advance(ids: list[str]) -> None:
    from domus.marketing.tasks import enrolments_advance

    enrolments_advance.delay(ids)


def sequences_enrol_on_segment(*, segment: Segment, lead_ids: list[UUID]) -> None:
    for sequence in Sequence.objects.filter(enrol_segment=segment, status=SequenceStatus.ACTIVE):
        sequence_enrol(actor=None, sequence=sequence, lead_ids=lead_ids)


def sequences_enrol_on_capture(*, lead_id: UUID, company_id: UUID, source: str) -> None:
    for sequence in selectors.sequences_enrolling_on(company_id=company_id):
        if source in (sequence.enrol_sources or []):
            sequence_enrol(actor=None, sequence=sequence, lead_ids=[lead_id])


# The step machine -----------------------------------------------------------------------


def _step(sequence: Sequence, step_id: str) -> dict | None:
    return next((s for s in sequence.steps if s["id"] == step_id), None)


def _next_step(sequence: Sequence, step_id: str, passed: set[str]) -> str:
    ids = [s["id"] for s in sequence.steps]
    if step_id not in ids:
        return ""
    return next((s for s in ids[ids.index(step_id) + 1 :] if s not in passed), "")


def _zone_of(enrolment: Enrolment) -> Any:
    lead = lead_brief(enrolment.lead_id)
    preference = preferences_of([lead.user_id]).get(lead.user_id) if lead is not None and lead.user_id else None
    return lead_zone(preference, "UTC")


def _holds(condition: dict, enrolment: Enrolment) -> bool:
    lead = lead_brief(enrolment.lead_id)
    if lead is None:
        return False
    if condition.get("statuses") and lead.status not in condition["statuses"]:
        return False
    if condition.get("min_score") is not None and lead.score < condition["min_score"]:
        return False
    if condition.get("max_score") is not None and lead.score > condition["max_score"]:
        return False
    event = condition.get("event")
    if event:
        field = {
            "opened": "opened_at",
            "clicked": "clicked_at",
            "replied": "replied_at",
            "viewing_booked": "viewing_at",
            "offer_made": "offer_at",
        }[event]
        touches = Touch.objects.filter(lead_id=enrolment.lead_id, **{f"{field}__isnull": False})
        if event in ("opened", "clicked", "replied"):
            touches = touches.filter(enrolment=enrolment)
        if event == "opened":  # a mail scanner's fetch of the pixel is no open
            touches = touches.filter(open_suspect=False)
        if not touches.exists():
            return False
    return True


def _finish(enrolment: Enrolment, status: str, reason: str) -> None:
    enrolment.status, enrolment.exit_reason = status, reason
    enrolment.ended_at = timezone.now()
    enrolment.due_at = None


def _notify_agent(enrolment: Enrolment, step: dict) -> None:
    from domus.communications.services import notify_event

    lead = lead_brief(enrolment.lead_id)
    if lead is None or lead.assigned_agent_id is None:
        return
    notify_event(
        event="marketing.task",
        payload={
            "id": f"{enrolment.pk}:{step['id']}",
            "lead_id": str(lead.pk),
            "sequence_id": str(enrolment.sequence_id),
        },
        recipient_ids=[str(lead.assigned_agent_id)],
        type="marketing.task",
        title=f"{step['title']} ({lead.name})",
        body=step.get("note", ""),
    )


def _send(enrolment: Enrolment, sequence: Sequence, step: dict, now: datetime) -> bool:
    """Hand the step's message over once; answers False when it must wait (quiet hours)."""
    touch, _ = Touch.objects.get_or_create(
        enrolment=enrolment,
        step=step["id"],
        channel=step["channel"],
        defaults={"company_id": sequence.company_id, "lead_id": enrolment.lead_id, "due_at": now},
    )
    touch = Touch.objects.select_for_update().get(pk=touch.pk)
    if touch.status != TouchStatus.PENDING:
        return True
    hand_over(
        actor=sequence.created_by,
        touches=[touch],
        contents={step["channel"]: step},
        now=now,
    )
    if touch.status == TouchStatus.PENDING:
        enrolment.due_at = touch.due_at
        return False
    return True


def enrolment_advance(*, enrolment_id: UUID, now: datetime | None = None) -> Enrolment | None:
    """Run a due walk's steps until it must wait, pauses, or ends. Each passed step is
    recorded and never run again; a send step hands its message over once."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("sequence", "sequence__created_by")
            .filter(pk=enrolment_id, status=EnrolmentStatus.ACTIVE)
            .first()
        )
        if enrolment is None:
            return None
        sequence = enrolment.sequence
        if sequence.status != SequenceStatus.ACTIVE or (enrolment.due_at and enrolment.due_at > now):
            return enrolment
        passed = set(enrolment.passed_steps)
        for _ in range(MAX_STEPS_PER_TICK):
            step = _step(sequence, enrolment.current_step)
            if step is None or step["id"] in passed:
                following = _next_step(sequence, enrolment.current_step, passed) if step is not None else ""
                if not following:
                    _finish(enrolment, EnrolmentStatus.COMPLETED, "")
                    break
                enrolment.current_step = following
                continue
            kind = step["type"]
            target = ""
            if kind == "wait":
                if not enrolment.waiting:
                    enrolment.waiting = True
                    enrolment.due_at = _wait_until(step, now, _zone_of(enrolment))
                    if enrolment.due_at > now:
                        break
                elif enrolment.due_at and enrolment.due_at > now:
                    break
                enrolment.waiting = False
            elif kind == "send":
                if not _send(enrolment, sequence, step, now):
                    break
            elif kind == "condition":
                if not _holds(step["condition"], enrolment):
                    passed.add(step["id"])
                    enrolment.passed_steps = sorted(passed, key=[s["id"] for s in sequence.steps].index)
                    _finish(enrolment, EnrolmentStatus.COMPLETED, f"Condition of step {step['id']} not met.")
                    break
            elif kind == "branch":
                target = step["then"] if _holds(step["condition"], enrolment) else step["otherwise"]
            elif kind == "task":
                _notify_agent(enrolment, step)
            elif kind == "end":
                passed.add(step["id"])
                _finish(enrolment, EnrolmentStatus.COMPLETED, "")
                break
            passed.add(step["id"])
            following = target if target and target not in passed else _next_step(sequence, step["id"], passed)
            enrolment.current_step = following
            enrolment.due_at = now
            if not following:
                _finish(enrolment, EnrolmentStatus.COMPLETED, "")
                break
        order = [s["id"] for s in sequence.steps]
        enrolment.passed_steps = sorted(passed, key=lambda s: order.index(s) if s in order else len(order))
        enrolment.save()
        return enrolment


def enrolments_advance_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    now = now or timezone.now()
    ids = selectors.enrolments_due(now, limit)
    for enrolment_id in ids:
        enrolment_advance(enrolment_id=enrolment_id, now=now)
    return len(ids)


# Automatic exit and pause ---------------------------------------------------------------


@transaction.atomic
def enrolments_exit_for_lead(*, lead_id: UUID, reason: str) -> int:
    """End the lead's open walks of the sequences that exit on ``reason`` (converted,
    viewing, offer, reply, opt_out). Answers how many ended."""
    ended = 0
    for enrolment in selectors.enrolments_of_lead(lead_id, OPEN).select_for_update(of=("self",)):
        if reason in (enrolment.sequence.exit_on or []):
            _finish(enrolment, EnrolmentStatus.EXITED, reason)
            enrolment.save()
            ended += 1
    return ended


@transaction.atomic
def enrolments_pause_for_lead(*, lead_id: UUID, reason: str) -> int:
    """Pause the lead's active walks of the sequences that pause when the agent and the
    lead talk. Answers how many paused."""
    paused = 0
    now = timezone.now()
    for enrolment in selectors.enrolments_of_lead(lead_id, (EnrolmentStatus.ACTIVE,)).select_for_update(of=("self",)):
        if enrolment.sequence.pause_on_conversation:
            enrolment.status, enrolment.paused_at, enrolment.pause_reason = EnrolmentStatus.PAUSED, now, reason
            enrolment.save()
            paused += 1
    return paused
