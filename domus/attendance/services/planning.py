"""Writes of the plan (admin): shifts, schedules, week-offs, exceptions, geofences, branch
calendars and payroll profiles. Each write is checked whole before it is saved, and audited."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, models, transaction

from domus.attendance.models import (
    BranchCalendar,
    ExceptionKind,
    Geofence,
    GeofenceKind,
    PayrollProfile,
    Schedule,
    ScheduleException,
    Shift,
    WeekOff,
)
from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, ValidationFailed


def _apply(instance: models.Model, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


def _company_of(instance: models.Model) -> Any:
    branch = getattr(instance, "branch", None)
    return branch.company_id if branch is not None else getattr(instance, "company_id", None)


def _save(*, actor: Any, instance: models.Model, fields: dict[str, Any], validate: Any) -> Any:
    creating = instance._state.adding
    before = {} if creating else audit_snapshot(instance)
    _apply(instance, fields)
    validate(instance)
    instance.save()
    if creating:
        audit_create(actor=actor, instance=instance, company_id=_company_of(instance))
    else:
        audit_update(actor=actor, instance=instance, before=before, company_id=_company_of(instance))
    return instance


def _delete(*, actor: Any, instance: models.Model) -> None:
    snapshot, pk, company_id = audit_snapshot(instance), instance.pk, _company_of(instance)
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError:
        raise Conflict(f"This {instance._meta.verbose_name} is still in use.") from None
    audit_record(
        actor=actor,
        action="delete",
        resource_type=instance._meta.label_lower,
        resource_id=pk,
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
        company_id=company_id,
    )


# Shifts ---------------------------------------------------------------------------------


def _check_shift(shift: Shift) -> None:
    problems: dict[str, list[str]] = {}
    if shift.end_time == shift.start_time:
        problems["end_time"] = ["Must differ from start_time."]
    elif shift.end_time < shift.start_time and not shift.crosses_midnight:
        problems["end_time"] = ["Before start_time: set crosses_midnight for a night shift."]
    if shift.absent_threshold_minutes > shift.half_day_threshold_minutes:
        problems["absent_threshold_minutes"] = ["Must not exceed half_day_threshold_minutes."]
    _raise(problems)


def _raise(problems: dict[str, list[str]]) -> None:
    if any(problems.values()):
        first = next(iter(problems))
        raise ValidationFailed(problems[first][0], errors=problems)


@transaction.atomic
def shift_save(*, actor: Any, shift: Shift | None = None, **fields: Any) -> Shift:
    """Create a shift (``shift`` None) or change one."""
    return _save(actor=actor, instance=shift or Shift(), fields=fields, validate=_check_shift)


@transaction.atomic
def shift_delete(*, actor: Any, shift: Shift) -> None:
    _delete(actor=actor, instance=shift)


# Schedules --------------------------------------------------------------------------------


def _check_schedule(schedule: Schedule) -> None:
    problems: dict[str, list[str]] = {}
    if schedule.valid_to is not None and schedule.valid_to < schedule.valid_from:
        problems["valid_to"] = ["Must not be before valid_from."]
    weekdays = schedule.weekdays or []
    if not weekdays or any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        problems["weekdays"] = ["One or more weekdays, 0 (Monday) to 6 (Sunday)."]
    else:
        schedule.weekdays = sorted(set(weekdays))
    _raise(problems)


@transaction.atomic
def schedule_save(*, actor: Any, schedule: Schedule | None = None, **fields: Any) -> Schedule:
    return _save(actor=actor, instance=schedule or Schedule(), fields=fields, validate=_check_schedule)


@transaction.atomic
def schedule_delete(*, actor: Any, schedule: Schedule) -> None:
    _delete(actor=actor, instance=schedule)


# Week-offs and exceptions -------------------------------------------------------------------


def _check_week_off(week_off: WeekOff) -> None:
    problems: dict[str, list[str]] = {}
    if not 0 <= week_off.weekday <= 6:
        problems["weekday"] = ["0 (Monday) to 6 (Sunday)."]
    if week_off.valid_from and week_off.valid_to and week_off.valid_to < week_off.valid_from:
        problems["valid_to"] = ["Must not be before valid_from."]
    _raise(problems)


@transaction.atomic
def week_off_save(*, actor: Any, week_off: WeekOff | None = None, **fields: Any) -> WeekOff:
    return _save(actor=actor, instance=week_off or WeekOff(), fields=fields, validate=_check_week_off)


@transaction.atomic
def week_off_delete(*, actor: Any, week_off: WeekOff) -> None:
    _delete(actor=actor, instance=week_off)


def _check_exception(exception: ScheduleException) -> None:
    problems: dict[str, list[str]] = {}
    if exception.end_date < exception.start_date:
        problems["end_date"] = ["Must not be before start_date."]
    if exception.kind == ExceptionKind.SWAP and exception.shift_id is None:
        problems["shift_id"] = ["A swapped shift names the shift worked instead."]
    if exception.kind != ExceptionKind.SWAP and exception.shift_id is not None:
        problems["shift_id"] = ["Only a swapped shift (kind SWAP) names a shift."]
    _raise(problems)


@transaction.atomic
def exception_save(*, actor: Any, exception: ScheduleException | None = None, **fields: Any) -> ScheduleException:
    return _save(actor=actor, instance=exception or ScheduleException(), fields=fields, validate=_check_exception)


@transaction.atomic
def exception_delete(*, actor: Any, exception: ScheduleException) -> None:
    _delete(actor=actor, instance=exception)


# Geofences and branch calendars ---------------------------------------------------------------


def _check_geofence(fence: Geofence) -> None:
    problems: dict[str, list[str]] = {}
    if fence.kind == GeofenceKind.CIRCLE:
        for name in ("latitude", "longitude", "radius_m"):
            if getattr(fence, name) is None:
                problems[name] = ["Required for a circle."]
        fence.polygon = []
    else:
        points = fence.polygon or []
        if len(points) < 3:
            problems["polygon"] = ["At least three [lat, lon] points."]
        else:
            from shapely.geometry import Polygon

            if not Polygon([(lon, lat) for lat, lon in points]).is_valid:
                problems["polygon"] = ["The polygon crosses itself."]
        fence.latitude = fence.longitude = fence.radius_m = None
    _raise(problems)


@transaction.atomic
def geofence_save(*, actor: Any, geofence: Geofence | None = None, **fields: Any) -> Geofence:
    return _save(actor=actor, instance=geofence or Geofence(), fields=fields, validate=_check_geofence)


@transaction.atomic
def geofence_delete(*, actor: Any, geofence: Geofence) -> None:
    _delete(actor=actor, instance=geofence)


def _check_calendar(calendar: BranchCalendar) -> None:
    if calendar.time_zone:
        try:
            ZoneInfo(calendar.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(
                "Unknown time zone.", errors={"time_zone": ["An IANA time zone such as Africa/Nairobi."]}
            ) from None
    calendar.country = (calendar.country or "").upper()


@transaction.atomic
def branch_calendar_upsert(*, actor: Any, branch: Any, **fields: Any) -> BranchCalendar:
    calendar = BranchCalendar.objects.select_for_update().filter(branch=branch).first()
    return _save(
        actor=actor, instance=calendar or BranchCalendar(branch=branch), fields=fields, validate=_check_calendar
    )


# Payroll profiles -------------------------------------------------------------------------


def _check_payroll(profile: PayrollProfile) -> None:
    profile.currency = profile.currency.upper()


@transaction.atomic
def payroll_upsert(*, actor: Any, advisor: Any, **fields: Any) -> PayrollProfile:
    """Create or change the advisor's payroll profile (PUT and PATCH both upsert)."""
    profile = PayrollProfile.objects.select_for_update().filter(advisor=advisor).first()
    try:
        with transaction.atomic():
            return _save(
                actor=actor, instance=profile or PayrollProfile(advisor=advisor), fields=fields, validate=_check_payroll
            )
    except IntegrityError:  # another request created it meanwhile
        raise Conflict("The payroll profile was just created by another request; send it again.") from None
