"""Attendance API: selfie check-in and check-out, today's shift, the approval queue, monthly
reports, and the admin's planning (shifts, schedules, week-offs, exceptions, geofences,
branch calendars, payroll profiles)."""

import json
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate

from domus.accounts.selectors import active_user_for_field
from domus.attendance import clock, planning, policies, reports, selectors
from domus.attendance.schemas import (
    AttendanceOut,
    CalendarIn,
    CalendarOut,
    CheckInIn,
    CheckOutIn,
    DecisionIn,
    ExceptionIn,
    ExceptionOut,
    ExceptionPatchIn,
    GeofenceIn,
    GeofenceOut,
    GeofencePatchIn,
    PayrollIn,
    PayrollOut,
    PayrollPatchIn,
    PlanDayOut,
    PreviewQuery,
    ReportOut,
    ReportQuery,
    RequestOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePatchIn,
    ShiftIn,
    ShiftOut,
    ShiftPatchIn,
    TodayOut,
    WeekOffIn,
    WeekOffOut,
    WeekOffPatchIn,
)
from domus.attendance.selectors import (
    ExceptionFilters,
    GeofenceFilters,
    PayrollFilters,
    RequestFilters,
    ScheduleFilters,
    ShiftFilters,
    WeekOffFilters,
)
from domus.attendance.services import approvals, punches
from domus.attendance.services import planning as plan_services
from domus.core.errors import ErrorOut
from domus.core.exceptions import NotFound, UnknownReference, ValidationFailed
from domus.core.idempotency import idempotent
from domus.core.openapi import download
from domus.core.policies import require
from domus.core.throttling import ScopedRateLimit
from domus.organizations.selectors import branch_exists, company_exists
from domus.properties.selectors import listing_get_for_actor

router = Router(tags=["attendance"])

ADMIN = {"x-permission": "admin"}
SIGNED_IN = {"x-permission": "signed-in advisor (agent), branch head or admin"}
REVIEWERS = {"x-permission": "branch head (their branches) or admin"}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
ADMIN_ONLY = "Only an admin plans attendance."


def _admin(request: HttpRequest) -> None:
    require(policies.can_plan(request.auth), ADMIN_ONLY)


# Check-in, check-out, today ---------------------------------------------------------------------


def _attendance_out(attendance_id: Any) -> Any:
    return selectors.attendance_with_requests(attendance_id=attendance_id)


@router.post(
    "/check-in/",
    response={201: AttendanceOut, **WRITE_ERRORS, 413: ErrorOut, 429: ErrorOut},
    summary="Selfie check-in (multipart: shift_id, lat, lon, photo; accuracy, device_time, mock_location)",
    description=(
        "The server's clock decides the shift day (a night shift belongs to the day it starts), lateness "
        "after the grace minutes, and the geofence decision with the GPS accuracy. Opens LATE, "
        "OUTSIDE_GEOFENCE and SUSPECT_LOCATION requests as needed; one check-in per advisor and shift day "
        "(409 for a second). Honours `Idempotency-Key`."
    ),
    openapi_extra=SIGNED_IN,
    throttle=ScopedRateLimit("upload"),
)
@decorate_view(idempotent)
def check_in(request: HttpRequest, photo: File[UploadedFile], payload: Form[CheckInIn]):
    shift = selectors.shift_for_field(payload.shift_id, active=True)
    attendance = punches.attendance_check_in(
        actor=request.auth,
        shift=shift,
        lat=payload.lat,
        lon=payload.lon,
        photo=photo,
        accuracy=payload.accuracy,
        device_time=payload.device_time,
        mock_location=payload.mock_location,
    )
    return Status(201, _attendance_out(attendance.pk))


@router.post(
    "/check-out/",
    response={200: AttendanceOut, **WRITE_ERRORS, 413: ErrorOut, 429: ErrorOut},
    summary="Selfie check-out (multipart: attendance_id, lat, lon, photo, ot_request_minutes)",
    description="Worked minutes from check-in; overtime only past the shift's end plus its threshold (an OT request).",
    openapi_extra=SIGNED_IN,
    throttle=ScopedRateLimit("upload"),
)
@decorate_view(idempotent)
def check_out(request: HttpRequest, photo: File[UploadedFile], payload: Form[CheckOutIn]):
    attendance = punches.attendance_check_out(
        actor=request.auth,
        attendance_id=payload.attendance_id,
        lat=payload.lat,
        lon=payload.lon,
        photo=photo,
        ot_request_minutes=payload.ot_request_minutes,
        accuracy=payload.accuracy,
        mock_location=payload.mock_location,
    )
    return _attendance_out(attendance.pk)


def _plan_out(plan: planning.DayPlan | None, zone: Any) -> dict[str, Any] | None:
    if plan is None:
        return None
    start = end = None
    if plan.kind == planning.WORK and zone is not None:
        start, end = (moment.astimezone(UTC) for moment in planning.shift_bounds(plan.shift, plan.day, zone))
    return {
        "day": plan.day,
        "kind": plan.kind,
        "shift_id": plan.shift.pk if plan.shift else None,
        "shift_name": plan.shift.name if plan.shift else None,
        "branch_id": plan.branch_id,
        "site_id": plan.site_id,
        "shift_start": start,
        "shift_end": end,
        "note": plan.note,
    }


@router.get(
    "/me/today/",
    response={200: TodayOut, 401: ErrorOut},
    summary="Today's shift (schedule, week-offs, holidays, exceptions resolved), punches, status, pending requests",
    openapi_extra=SIGNED_IN,
)
def me_today(request: HttpRequest):
    plan, zone, attendance = selectors.today_for(advisor=request.auth, now=clock.now())
    pending = [r for r in attendance.requests.all() if r.status == "PENDING"] if attendance else []
    for row in pending:
        row.attendance = attendance
    return {
        "day": plan.day if plan else None,
        "plan": _plan_out(plan, zone),
        "attendance": attendance,
        "pending_requests": pending,
    }


@router.get(
    "/records/{attendance_id}/photo/{punch}/",
    response={200: None, **READ_ERRORS},
    summary="A punch's selfie (the advisor, their branch heads, admins), until its retention ends",
    openapi_extra={**REVIEWERS, **download("The selfie (a JPEG file)", "application/octet-stream")},
)
def attendance_photo(request: HttpRequest, attendance_id: UUID, punch: str):
    if punch not in ("check_in", "check_out"):
        raise NotFound("No such photo.")
    attendance = selectors.attendance_get_for_actor(actor=request.auth, attendance_id=attendance_id)
    name = getattr(attendance, f"{punch}_photo")
    if not name or not default_storage.exists(name):
        raise NotFound("This photo is gone (retention) or was never taken.")
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type="application/octet-stream",
        filename=f"selfie-{attendance.pk}-{punch}.jpg",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Approvals -------------------------------------------------------------------------------------


@router.get(
    "/approvals/",
    response={200: list[RequestOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Approval requests with their evidence (pending by default)",
    openapi_extra=REVIEWERS,
)
@paginate
def approval_list(request: HttpRequest, filters: Query[RequestFilters]):
    require(policies.can_review(request.auth), "Only branch heads and admins review attendance.")
    return selectors.request_list_for_actor(actor=request.auth, filters=filters)


def _decide(request: HttpRequest, request_id: UUID, payload: DecisionIn, *, approve: bool):
    row = selectors.request_get_for_actor(actor=request.auth, request_id=request_id)
    require(policies.can_decide(request.auth, row), "You cannot decide this request (it is your own day).")
    decided = approvals.request_decide(actor=request.auth, request=row, approve=approve, reason=payload.reason)
    return selectors.request_get_for_actor(actor=request.auth, request_id=decided.pk)


@router.post(
    "/approvals/{request_id}/approve/",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Approve a pending request (lateness excused, location accepted, overtime counted)",
    openapi_extra=REVIEWERS,
)
def approval_approve(request: HttpRequest, request_id: UUID, payload: DecisionIn | None = None):
    return _decide(request, request_id, payload or DecisionIn(), approve=True)


@router.post(
    "/approvals/{request_id}/reject/",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Reject a pending request with a reason (a refused location makes the day absent)",
    openapi_extra=REVIEWERS,
)
def approval_reject(request: HttpRequest, request_id: UUID, payload: DecisionIn):
    return _decide(request, request_id, payload, approve=False)


# Reports ---------------------------------------------------------------------------------------

REPORT_FILES = download("The report as CSV (format=csv) or PDF (format=pdf)", "text/csv", "application/pdf")


def _report_answer(report: dict[str, Any], query: ReportQuery, *, title: str, filename: str) -> Any:
    if query.format == "csv":
        response = HttpResponse(reports.report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if query.format == "pdf":
        response = HttpResponse(reports.report_pdf(report, title=title), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    # Already plain JSON data (strings for dates, ids and money): written as is, without
    # validating thousands of day objects again against ReportOut (which documents it).
    return HttpResponse(json.dumps(report), content_type="application/json")


@router.get(
    "/reports/store/{store_id}/",
    response={200: ReportOut, **READ_ERRORS},
    summary="Monthly report of a branch (JSON, CSV or PDF)",
    openapi_extra={**REVIEWERS, **REPORT_FILES},
)
def report_branch(request: HttpRequest, store_id: UUID, query: Query[ReportQuery]):
    branch = selectors.branch_for_report(branch_id=store_id)
    require(policies.can_read_branch_report(request.auth, branch), "Only the branch's heads and admins see this.")
    year, month = reports.month_of(query.month)
    days = planning.month_days(year, month)
    advisor_ids = selectors.advisor_ids_of_branch_month(branch_id=branch.pk, start=days[0], end=days[-1])
    report = reports.monthly_report(advisor_ids=advisor_ids, year=year, month=month, branch_id=branch.pk)
    stamp = report["month"]
    return _report_answer(
        report, query, title=f"Attendance {branch.name} {stamp}", filename=f"attendance-{branch.code}-{stamp}"
    )


@router.get(
    "/reports/me/",
    response={200: ReportOut, 400: ErrorOut, 401: ErrorOut},
    summary="My monthly report (JSON, CSV or PDF)",
    openapi_extra={**SIGNED_IN, **REPORT_FILES},
)
def report_me(request: HttpRequest, query: Query[ReportQuery]):
    year, month = reports.month_of(query.month)
    report = reports.monthly_report(advisor_ids=[request.auth.pk], year=year, month=month)
    stamp = report["month"]
    return _report_answer(report, query, title=f"My attendance {stamp}", filename=f"attendance-me-{stamp}")


# Planning (admin) ---------------------------------------------------------------------------------


def _refs(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Check the ids a planning body names: a 400 naming the field when one is unknown."""
    if data.get("advisor_id") is not None:
        active_user_for_field(data["advisor_id"], field="advisor_id")
    if data.get("branch_id") is not None and not branch_exists(data["branch_id"]):
        raise UnknownReference("Unknown branch.", errors={"branch_id": ["No branch with this id."]})
    if data.get("site_id") is not None:
        try:
            listing_get_for_actor(actor=request.auth, listing_id=data["site_id"])
        except NotFound:
            raise ValidationFailed("Unknown site.", errors={"site_id": ["No listing with this id."]}) from None
    if data.get("shift_id") is not None:
        selectors.shift_for_field(data["shift_id"])
    if data.get("company_id") is not None and not company_exists(data["company_id"]):
        raise ValidationFailed("Unknown company.", errors={"company_id": ["No company with this id."]})
    return data


def _resource(
    *,
    path: str,
    name: str,
    noun: str,
    schema_in: type,
    schema_patch: type,
    schema_out: type,
    filters: type,
    list_rows: Callable[..., Any],
    get_row: Callable[[UUID], Any],
    save: Callable[..., Any],
    delete: Callable[..., Any],
    kwarg: str,
) -> None:
    """Register list, create, detail, replace, edit and delete of one planning resource
    (each its own typed Ninja operation) under ``/admin/<path>/``."""

    @router.get(
        f"/admin/{path}/",
        response={200: list[schema_out], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
        summary=f"{noun.capitalize()}s",
        operation_id=f"attendance_{name}_list",
        openapi_extra=ADMIN,
    )
    @paginate
    def list_view(request: HttpRequest, query: Query[filters]):  # type: ignore[valid-type]
        _admin(request)
        return list_rows(filters=query)

    @router.post(
        f"/admin/{path}/",
        response={201: schema_out, **WRITE_ERRORS},
        summary=f"Create a {noun}",
        operation_id=f"attendance_{name}_create",
        openapi_extra=ADMIN,
    )
    def create_view(request: HttpRequest, payload: schema_in):  # type: ignore[valid-type]
        _admin(request)
        data = _refs(request, payload.dict())
        return Status(201, save(actor=request.auth, **data))

    @router.get(
        f"/admin/{path}/{{item_id}}/",
        response={200: schema_out, **READ_ERRORS},
        summary=f"A {noun}",
        operation_id=f"attendance_{name}_detail",
        openapi_extra=ADMIN,
    )
    def detail_view(request: HttpRequest, item_id: UUID):
        _admin(request)
        return get_row(item_id)

    @router.put(
        f"/admin/{path}/{{item_id}}/",
        response={200: schema_out, **WRITE_ERRORS},
        summary=f"Replace a {noun}",
        operation_id=f"attendance_{name}_replace",
        openapi_extra=ADMIN,
    )
    def replace_view(request: HttpRequest, item_id: UUID, payload: schema_in):  # type: ignore[valid-type]
        _admin(request)
        row = get_row(item_id)
        data = _refs(request, payload.dict())
        return save(actor=request.auth, **{kwarg: row}, **data)

    @router.patch(
        f"/admin/{path}/{{item_id}}/",
        response={200: schema_out, **WRITE_ERRORS},
        summary=f"Edit a {noun}",
        operation_id=f"attendance_{name}_update",
        openapi_extra=ADMIN,
    )
    def patch_view(request: HttpRequest, item_id: UUID, payload: schema_patch):  # type: ignore[valid-type]
        _admin(request)
        row = get_row(item_id)
        data = _refs(request, payload.dict(exclude_unset=True))
        return save(actor=request.auth, **{kwarg: row}, **data)

    @router.delete(
        f"/admin/{path}/{{item_id}}/",
        response={204: None, **WRITE_ERRORS},
        summary=f"Delete a {noun}",
        operation_id=f"attendance_{name}_delete",
        openapi_extra=ADMIN,
    )
    def delete_view(request: HttpRequest, item_id: UUID):
        _admin(request)
        delete(actor=request.auth, **{kwarg: get_row(item_id)})
        return Status(204, None)


@router.get(
    "/admin/schedules/{schedule_id}/preview/",
    response={200: list[PlanDayOut], **READ_ERRORS},
    summary="The schedule's advisor's resolved plan, day by day, between two dates (at most 92 days)",
    openapi_extra=ADMIN,
)
def schedule_preview(request: HttpRequest, schedule_id: UUID, query: Query[PreviewQuery]):
    _admin(request)
    start, end = query.first_day, query.last_day
    if end < start or end - start > timedelta(days=91):
        raise ValidationFailed(
            "A preview covers 1 to 92 days.", errors={"end": ["On or after start, 92 days at most."]}
        )
    schedule = selectors.schedule_get(schedule_id=schedule_id)
    book = selectors.PlanBook(advisor_ids=[schedule.advisor_id], start=start, end=end)
    out = []
    for plan in selectors.schedule_preview(schedule=schedule, start=start, end=end):
        zone = book.clock.zone(plan.branch_id) if plan.branch_id in book.clock.branches else None
        out.append(_plan_out(plan, zone))
    return out


_resource(
    path="shifts",
    name="shift",
    noun="shift",
    schema_in=ShiftIn,
    schema_patch=ShiftPatchIn,
    schema_out=ShiftOut,
    filters=ShiftFilters,
    list_rows=lambda filters: selectors.shift_list(filters=filters),
    get_row=lambda pk: selectors.shift_get(shift_id=pk),
    save=plan_services.shift_save,
    delete=plan_services.shift_delete,
    kwarg="shift",
)
_resource(
    path="schedules",
    name="schedule",
    noun="schedule",
    schema_in=ScheduleIn,
    schema_patch=SchedulePatchIn,
    schema_out=ScheduleOut,
    filters=ScheduleFilters,
    list_rows=lambda filters: selectors.schedule_list(filters=filters),
    get_row=lambda pk: selectors.schedule_get(schedule_id=pk),
    save=plan_services.schedule_save,
    delete=plan_services.schedule_delete,
    kwarg="schedule",
)
_resource(
    path="weekoffs",
    name="weekoff",
    noun="week-off",
    schema_in=WeekOffIn,
    schema_patch=WeekOffPatchIn,
    schema_out=WeekOffOut,
    filters=WeekOffFilters,
    list_rows=lambda filters: selectors.week_off_list(filters=filters),
    get_row=lambda pk: selectors.week_off_get(week_off_id=pk),
    save=plan_services.week_off_save,
    delete=plan_services.week_off_delete,
    kwarg="week_off",
)
_resource(
    path="exceptions",
    name="exception",
    noun="schedule exception",
    schema_in=ExceptionIn,
    schema_patch=ExceptionPatchIn,
    schema_out=ExceptionOut,
    filters=ExceptionFilters,
    list_rows=lambda filters: selectors.exception_list(filters=filters),
    get_row=lambda pk: selectors.exception_get(exception_id=pk),
    save=plan_services.exception_save,
    delete=plan_services.exception_delete,
    kwarg="exception",
)
_resource(
    path="geofences",
    name="geofence",
    noun="geofence",
    schema_in=GeofenceIn,
    schema_patch=GeofencePatchIn,
    schema_out=GeofenceOut,
    filters=GeofenceFilters,
    list_rows=lambda filters: selectors.geofence_list(filters=filters),
    get_row=lambda pk: selectors.geofence_get(geofence_id=pk),
    save=plan_services.geofence_save,
    delete=plan_services.geofence_delete,
    kwarg="geofence",
)


# Branch calendars -----------------------------------------------------------------------------


def _calendar_out(branch: Any) -> dict[str, Any]:
    calendar = selectors.branch_calendar_of(branch)
    country, subdivision = selectors.branch_country(branch, calendar)
    year = clock.now().year
    holidays = planning.public_holidays(country, subdivision, year)
    return {
        "branch_id": branch.pk,
        "time_zone": selectors.branch_zone_name(branch, calendar),
        "time_zone_set": calendar.time_zone if calendar else "",
        "country": country,
        "subdivision": subdivision,
        "holidays": [{"date": day.isoformat(), "name": name} for day, name in sorted(holidays.items())],
    }


@router.get(
    "/admin/branches/{branch_id}/calendar/",
    response={200: CalendarOut, **READ_ERRORS},
    summary="A branch's time zone, holiday country and this year's public holidays",
    openapi_extra=ADMIN,
)
def calendar_detail(request: HttpRequest, branch_id: UUID):
    _admin(request)
    return _calendar_out(selectors.branch_for_report(branch_id=branch_id))


@router.put(
    "/admin/branches/{branch_id}/calendar/",
    response={200: CalendarOut, **WRITE_ERRORS},
    summary="Set a branch's time zone (blank: from its coordinates) and holiday country (blank: its company's)",
    openapi_extra=ADMIN,
)
def calendar_put(request: HttpRequest, branch_id: UUID, payload: CalendarIn):
    _admin(request)
    branch = selectors.branch_for_report(branch_id=branch_id)
    plan_services.branch_calendar_upsert(actor=request.auth, branch=branch, **payload.dict())
    return _calendar_out(branch)


# Payroll profiles -----------------------------------------------------------------------------


@router.get(
    "/admin/payroll/",
    response={200: list[PayrollOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Advisors' payroll profiles",
    openapi_extra=ADMIN,
)
@paginate
def payroll_list(request: HttpRequest, filters: Query[PayrollFilters]):
    _admin(request)
    return selectors.payroll_list(filters=filters)


@router.put(
    "/admin/payroll/{user_id}/",
    response={200: PayrollOut, **WRITE_ERRORS},
    summary="Create or replace an advisor's payroll profile",
    openapi_extra=ADMIN,
)
def payroll_put(request: HttpRequest, user_id: UUID, payload: PayrollIn):
    _admin(request)
    advisor = active_user_for_field(user_id, field="user_id")
    return plan_services.payroll_upsert(actor=request.auth, advisor=advisor, **payload.dict())


@router.patch(
    "/admin/payroll/{user_id}/",
    response={200: PayrollOut, **WRITE_ERRORS},
    summary="Create or edit an advisor's payroll profile",
    openapi_extra=ADMIN,
)
def payroll_patch(request: HttpRequest, user_id: UUID, payload: PayrollPatchIn):
    _admin(request)
    advisor = active_user_for_field(user_id, field="user_id")
    return plan_services.payroll_upsert(actor=request.auth, advisor=advisor, **payload.dict(exclude_unset=True))
