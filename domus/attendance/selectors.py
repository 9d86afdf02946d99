"""Reads of attendance: the planning rows (admin), an advisor's resolved plan, attendance
days and approval requests scoped to who asks (advisors their own, branch heads their
branches, admins all)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet

from domus.attendance import geo, planning
from domus.attendance.models import (
    Attendance,
    AttendanceRequest,
    BranchCalendar,
    Geofence,
    PayrollProfile,
    RequestStatus,
    Schedule,
    ScheduleException,
    Shift,
    WeekOff,
)
from domus.core.exceptions import NotFound, UnknownReference
from domus.core.filtering import ListFilters, filter_list, ordering_of
from domus.core.policies import is_admin
from domus.organizations.selectors import branch_scope_of_head, branches_with_company

# Branches: time zone and holiday country --------------------------------------------------


def branch_zone_name(branch: Any, calendar: BranchCalendar | None) -> str:
    """The branch's IANA time zone: set on its calendar, else found from its coordinates,
    else ``ATTENDANCE_DEFAULT_TIME_ZONE``."""
    if calendar is not None and calendar.time_zone:
        return calendar.time_zone
    if branch.latitude is not None and branch.longitude is not None:
        found = _zone_at(float(branch.latitude), float(branch.longitude))
        if found:
            return found
    return settings.ATTENDANCE_DEFAULT_TIME_ZONE


def _zone_at(lat: float, lon: float) -> str:
    """The zone at a point, kept in the cache for a month: the offline lookup loads its
    data once per process (seconds), so every process asks the cache first."""
    key = f"attendance:tz:{lat:.5f},{lon:.5f}"
    found = cache.get(key)
    if found is None:
        found = geo.time_zone_at(lat, lon) or ""
        cache.set(key, found, 30 * 24 * 3600)
    return found


def branch_country(branch: Any, calendar: BranchCalendar | None) -> tuple[str, str]:
    """``(country, subdivision)`` of the branch's public holidays."""
    if calendar is not None and calendar.country:
        return calendar.country, calendar.subdivision
    return (branch.company.country or "", calendar.subdivision if calendar else "")


class BranchClock:
    """Time zones and holiday countries of branches, read once per request or job."""

    def __init__(self, branches: Iterable[Any]) -> None:
        self.branches = {b.pk: b for b in branches}
        calendars = BranchCalendar.objects.filter(branch_id__in=list(self.branches))
        self.calendars = {c.branch_id: c for c in calendars}

    def zone(self, branch_id: Any) -> ZoneInfo:
        branch = self.branches[branch_id]
        try:
            return ZoneInfo(branch_zone_name(branch, self.calendars.get(branch_id)))
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(settings.ATTENDANCE_DEFAULT_TIME_ZONE)

    def country(self, branch_id: Any) -> tuple[str, str]:
        branch = self.branches.get(branch_id)
        if branch is None:
            return "", ""
        return branch_country(branch, self.calendars.get(branch_id))


def branch_calendar_of(branch: Any) -> BranchCalendar | None:
    return BranchCalendar.objects.filter(branch=branch).first()


# The plan -------------------------------------------------------------------------------


class PlanBook:
    """Every advisor's schedules, week-offs and exceptions over a date range, read in
    four queries, resolved day by day in memory."""

    def __init__(self, *, advisor_ids: Iterable[Any], start: date, end: date) -> None:
        ids = list(advisor_ids)
        overlap = Q(valid_from__lte=end) & (Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        self.schedules: dict[Any, list[Schedule]] = defaultdict(list)
        for schedule in Schedule.objects.filter(overlap, advisor_id__in=ids).select_related("shift"):
            self.schedules[schedule.advisor_id].append(schedule)
        self.week_offs: dict[Any, list[WeekOff]] = defaultdict(list)
        for week_off in WeekOff.objects.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=end), Q(valid_to__isnull=True) | Q(valid_to__gte=start)
        ).filter(advisor_id__in=ids):
            self.week_offs[week_off.advisor_id].append(week_off)
        self.exceptions: dict[Any, list[ScheduleException]] = defaultdict(list)
        for exception in ScheduleException.objects.filter(
            advisor_id__in=ids, start_date__lte=end, end_date__gte=start
        ).select_related("shift"):
            self.exceptions[exception.advisor_id].append(exception)
        branch_ids = {s.branch_id for rows in self.schedules.values() for s in rows}
        self.clock = BranchClock(_branches(branch_ids))

        self._countries = {branch_id: self.clock.country(branch_id) for branch_id in branch_ids}
        self._resolved: dict[tuple, list[planning.DayPlan]] = {}

    def _country_of(self, schedule: Schedule) -> tuple[str, str]:
        return self._countries[schedule.branch_id]

    def plan(self, advisor_id: Any, day: date) -> planning.DayPlan:
        return self.plans(advisor_id, [day])[0]

    def plans(self, advisor_id: Any, days: Iterable[date]) -> list[planning.DayPlan]:
        """The advisor's plan of each of ``days`` (the rows looked up once, not per day).
        Advisors planned alike (same branch, site, shift, dates and weekdays, week-offs and
        exceptions: most of a branch) share one resolution: the plans are worked out once
        per distinct plan, not once per advisor and day."""
        days = tuple(days)
        schedules = self.schedules.get(advisor_id, ())
        week_offs = self.week_offs.get(advisor_id, ())
        exceptions = self.exceptions.get(advisor_id, ())
        key = (days, *_plan_signature(schedules, week_offs, exceptions))
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = [
                planning.plan_day(
                    day=day,
                    schedules=schedules,
                    week_offs=week_offs,
                    exceptions=exceptions,
                    country_of=self._country_of,
                )
                for day in days
            ]
        return found


def _plan_signature(schedules: Iterable[Any], week_offs: Iterable[Any], exceptions: Iterable[Any]) -> tuple:
    """What an advisor's plan depends on, without whose rows they are (in their order:
    the first of two equal schedules wins)."""
    return (
        tuple(
            (s.branch_id, s.site_id, s.shift_id, s.valid_from, s.valid_to, tuple(s.weekdays or ())) for s in schedules
        ),
        tuple((w.weekday, w.valid_from, w.valid_to, w.note) for w in week_offs),
        tuple((e.kind, e.start_date, e.end_date, e.shift_id, e.reason) for e in exceptions),
    )


def _branches(branch_ids: Iterable[Any]) -> QuerySet:
    return branches_with_company(branch_ids)


def branches_by_id(branch_ids: Iterable[Any]) -> dict[Any, Any]:
    return {b.pk: b for b in _branches(branch_ids)}


def branch_ids_with_schedules(*, start: date, end: date) -> list[Any]:
    overlap = Q(valid_from__lte=end) & (Q(valid_to__isnull=True) | Q(valid_to__gte=start))
    return list(Schedule.objects.filter(overlap).values_list("branch_id", flat=True).distinct().order_by("branch_id"))


def advisor_ids_scheduled_at(
    *, start: date, end: date, branch_id: Any = None, branch_ids: Iterable[Any] = ()
) -> list[Any]:
    """Advisors with a schedule overlapping the dates at the branch (or any of the branches)."""
    overlap = Q(valid_from__lte=end) & (Q(valid_to__isnull=True) | Q(valid_to__gte=start))
    where = Q(branch_id=branch_id) if branch_id is not None else Q(branch_id__in=list(branch_ids))
    return list(
        Schedule.objects.filter(overlap, where).values_list("advisor_id", flat=True).distinct().order_by("advisor_id")
    )


def schedule_preview(*, schedule: Schedule, start: date, end: date) -> list[planning.DayPlan]:
    """The resolved day-by-day plan of the schedule's advisor between two dates (the
    schedule's own days; other schedules, week-offs, exceptions and holidays applied)."""
    book = PlanBook(advisor_ids=[schedule.advisor_id], start=start, end=end)
    days = (end - start).days + 1
    return [book.plan(schedule.advisor_id, date.fromordinal(start.toordinal() + n)) for n in range(days)]


# Admin planning lists -------------------------------------------------------------------


class PlanningFilters(ListFilters):
    advisor: UUID | None = None
    branch: UUID | None = None


class ShiftFilters(ListFilters):
    ordering: str | None = ordering_of("name", "start_time", "created_at")


class ScheduleFilters(PlanningFilters):
    ordering: str | None = ordering_of("valid_from", "created_at")


class WeekOffFilters(PlanningFilters):
    ordering: str | None = ordering_of("weekday", "created_at")


class ExceptionFilters(PlanningFilters):
    ordering: str | None = ordering_of("start_date", "created_at")


class GeofenceFilters(PlanningFilters):
    ordering: str | None = ordering_of("name", "created_at")


class PayrollFilters(PlanningFilters):
    ordering: str | None = ordering_of("created_at")


def shift_list(*, filters: ShiftFilters) -> QuerySet[Shift]:
    return filter_list(
        Shift.objects.all(),
        filters,
        search_fields=["name"],
        ordering_fields=["name", "start_time", "created_at"],
        default_ordering=["name", "pk"],
    )


def shift_get(*, shift_id: UUID) -> Shift:
    shift = Shift.objects.filter(pk=shift_id).first()
    if shift is None:
        raise NotFound("Shift not found.")
    return shift


def schedule_list(*, filters: ScheduleFilters) -> QuerySet[Schedule]:
    queryset = Schedule.objects.select_related("shift")
    if filters.advisor:
        queryset = queryset.filter(advisor_id=filters.advisor)
    if filters.branch:
        queryset = queryset.filter(branch_id=filters.branch)
    return filter_list(
        queryset,
        filters,
        ordering_fields=["valid_from", "created_at"],
        default_ordering=["-valid_from", "pk"],
    )


def schedule_get(*, schedule_id: UUID) -> Schedule:
    schedule = Schedule.objects.select_related("shift").filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound("Schedule not found.")
    return schedule


def week_off_list(*, filters: WeekOffFilters) -> QuerySet[WeekOff]:
    queryset = WeekOff.objects.all()
    if filters.advisor:
        queryset = queryset.filter(advisor_id=filters.advisor)
    return filter_list(queryset, filters, ordering_fields=["weekday", "created_at"], default_ordering=["weekday", "pk"])


def week_off_get(*, week_off_id: UUID) -> WeekOff:
    week_off = WeekOff.objects.filter(pk=week_off_id).first()
    if week_off is None:
        raise NotFound("Week-off not found.")
    return week_off


def exception_list(*, filters: ExceptionFilters) -> QuerySet[ScheduleException]:
    queryset = ScheduleException.objects.all()
    if filters.advisor:
        queryset = queryset.filter(advisor_id=filters.advisor)
    return filter_list(
        queryset,
        filters,
        search_fields=["reason"],
        ordering_fields=["start_date", "created_at"],
        default_ordering=["-start_date", "pk"],
    )


def exception_get(*, exception_id: UUID) -> ScheduleException:
    exception = ScheduleException.objects.filter(pk=exception_id).first()
    if exception is None:
        raise NotFound("Exception not found.")
    return exception


def geofence_list(*, filters: GeofenceFilters) -> QuerySet[Geofence]:
    queryset = Geofence.objects.all()
    if filters.branch:
        queryset = queryset.filter(branch_id=filters.branch)
    return filter_list(
        queryset, filters, search_fields=["name"], ordering_fields=["name", "created_at"], default_ordering=["name"]
    )


def geofence_get(*, geofence_id: UUID) -> Geofence:
    geofence = Geofence.objects.filter(pk=geofence_id).first()
    if geofence is None:
        raise NotFound("Geofence not found.")
    return geofence


def fences_of_branch(branch: Any) -> list[geo.Fence]:
    """The branch's active geofences; without any, a circle of
    ``ATTENDANCE_DEFAULT_RADIUS_M`` around the branch's own coordinates (if it has them)."""
    fences = []
    for row in Geofence.objects.filter(branch=branch, is_active=True):
        if row.kind == "POLYGON":
            fences.append(geo.Fence(name=row.name, points=tuple((float(a), float(b)) for a, b in row.polygon)))
        else:
            fences.append(geo.Fence(name=row.name, lat=row.latitude, lon=row.longitude, radius_m=row.radius_m))
    if not fences and branch.latitude is not None and branch.longitude is not None:
        fences.append(
            geo.Fence(
                name=f"{branch.name} (default)",
                lat=float(branch.latitude),
                lon=float(branch.longitude),
                radius_m=settings.ATTENDANCE_DEFAULT_RADIUS_M,
            )
        )
    return fences


def fences_of_site(site: Any) -> list[geo.Fence]:
    """A listing the advisor is sent to: a circle of ``ATTENDANCE_SITE_RADIUS_M`` around it."""
    if site is None or site.latitude is None or site.longitude is None:
        return []
    return [
        geo.Fence(
            name=f"site {site.pk}",
            lat=float(site.latitude),
            lon=float(site.longitude),
            radius_m=settings.ATTENDANCE_SITE_RADIUS_M,
        )
    ]


def payroll_list(*, filters: PayrollFilters) -> QuerySet[PayrollProfile]:
    queryset = PayrollProfile.objects.all()
    if filters.advisor:
        queryset = queryset.filter(advisor_id=filters.advisor)
    return filter_list(queryset, filters, ordering_fields=["created_at"], default_ordering=["advisor_id"])


def payroll_profiles_of(advisor_ids: Iterable[Any]) -> dict[Any, PayrollProfile]:
    return {p.advisor_id: p for p in PayrollProfile.objects.filter(advisor_id__in=list(advisor_ids))}


# Attendance days --------------------------------------------------------------------------


def attendance_of_day(*, advisor: Any, day: date) -> Attendance | None:
    return Attendance.objects.filter(advisor=advisor, day=day).select_related("shift").first()


def attendance_for_update(*, attendance_id: Any) -> Attendance | None:
    return Attendance.objects.select_for_update().filter(pk=attendance_id).first()


def last_punch(*, advisor: Any, exclude_id: Any = None) -> tuple[Any, float, float] | None:
    """``(time, lat, lon)`` of the advisor's latest punch (check-in or check-out)."""
    row = (
        Attendance.objects.filter(advisor=advisor, check_in_at__isnull=False)
        .exclude(pk=exclude_id)
        .order_by("-check_in_at")
        .values("check_in_at", "check_in_lat", "check_in_lon", "check_out_at", "check_out_lat", "check_out_lon")
        .first()
    )
    if row is None:
        return None
    if row["check_out_at"] is not None and row["check_out_lat"] is not None:
        return row["check_out_at"], row["check_out_lat"], row["check_out_lon"]
    if row["check_in_lat"] is None:
        return None
    return row["check_in_at"], row["check_in_lat"], row["check_in_lon"]


def recent_photo_hashes(*, advisor: Any, exclude_id: Any = None) -> list[tuple[Any, str]]:
    """``(attendance id, hash)`` of the advisor's latest selfies."""
    rows = (
        Attendance.objects.filter(advisor=advisor, check_in_at__isnull=False)
        .exclude(pk=exclude_id)
        .order_by("-check_in_at")
        .values_list("pk", "check_in_photo_hash", "check_out_photo_hash")[: settings.ATTENDANCE_SELFIE_HASH_WINDOW]
    )
    found = []
    for pk, first, second in rows:
        found.extend((pk, h) for h in (first, second) if h)
    return found


def attendance_get_for_actor(*, actor: Any, attendance_id: UUID) -> Attendance:
    """An attendance day the actor may see (their own, their branches', or any for an
    admin); the same 404 when missing or forbidden."""
    row = attendance_visible_to(actor).filter(pk=attendance_id).first()
    if row is None:
        raise NotFound("Attendance not found.")
    return row


def attendance_visible_to(actor: Any) -> QuerySet[Attendance]:
    queryset = Attendance.objects.select_related("shift")
    if is_admin(actor):
        return queryset
    return queryset.filter(Q(advisor=actor) | _branch_scope(actor))


def _branch_scope(actor: Any) -> Q:
    branches, companies = branch_scope_of_head(actor)
    if not branches and not companies:
        return Q(pk__in=[])
    return Q(branch_id__in=branches) | Q(company_id__in=companies)


def heads_branch(actor: Any, branch_id: Any, company_id: Any) -> bool:
    branches, companies = branch_scope_of_head(actor)
    return branch_id in branches or company_id in companies


def attendance_photos_to_purge(*, before: Any) -> QuerySet[Attendance]:
    return Attendance.objects.filter(photos_purged_at__isnull=True, check_in_at__lt=before).exclude(
        check_in_photo="", check_out_photo=""
    )


# Approval requests ------------------------------------------------------------------------


class RequestFilters(ListFilters):
    ordering: str | None = ordering_of("created_at")
    status: RequestStatus | None = RequestStatus.PENDING
    kind: str | None = None
    branch: UUID | None = None


def request_list_for_actor(*, actor: Any, filters: RequestFilters) -> QuerySet[AttendanceRequest]:
    queryset = AttendanceRequest.objects.select_related("attendance", "attendance__advisor")
    if not is_admin(actor):
        queryset = queryset.filter(_branch_scope(actor))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.branch:
        queryset = queryset.filter(branch_id=filters.branch)
    return filter_list(queryset, filters, ordering_fields=["created_at"], default_ordering=["-created_at", "-pk"])


def request_get_for_actor(*, actor: Any, request_id: UUID) -> AttendanceRequest:
    queryset = AttendanceRequest.objects.select_related("attendance")
    if not is_admin(actor):
        queryset = queryset.filter(_branch_scope(actor))
    row = queryset.filter(pk=request_id).first()
    if row is None:
        raise NotFound("Approval request not found.")
    return row


def requests_of(attendance: Attendance) -> list[AttendanceRequest]:
    return list(attendance.requests.order_by("created_at", "pk"))


# Reports ------------------------------------------------------------------------------------


def attendance_rows(*, advisor_ids: Iterable[Any], start: date, end: date) -> dict[tuple[Any, date], Attendance]:
    rows = Attendance.objects.filter(advisor_id__in=list(advisor_ids), day__gte=start, day__lte=end).only(
        "advisor_id", "day", "status", "is_late", "late_minutes", "worked_minutes", "overtime_minutes", "branch_id"
    )
    return {(r.advisor_id, r.day): r for r in rows}


def advisors_named(advisor_ids: Iterable[Any]) -> dict[Any, str]:
    """Display names of advisors (first and last name, else e-mail), read through their schedules."""
    rows = Schedule.objects.filter(advisor_id__in=list(advisor_ids)).values_list(
        "advisor_id", "advisor__first_name", "advisor__last_name", "advisor__email"
    )
    return {pk: (f"{first} {last}".strip() or email) for pk, first, last, email in rows.distinct()}


def attendance_day_values(*, advisor_ids: Iterable[Any], start: date, end: date) -> dict[Any, dict[date, tuple]]:
    """``advisor -> day -> (status, is_late, worked, overtime, late minutes)`` in one query."""
    rows = Attendance.objects.filter(advisor_id__in=list(advisor_ids), day__gte=start, day__lte=end).values_list(
        "advisor_id", "day", "status", "is_late", "worked_minutes", "overtime_minutes", "late_minutes"
    )
    found: dict[Any, dict[date, tuple]] = defaultdict(dict)
    for row in rows:
        found[row[0]][row[1]] = row[2:]
    return found


def advisor_ids_of_branch_month(*, branch_id: Any, start: date, end: date) -> list[Any]:
    """Advisors planned at the branch during the month, or with an attendance day there."""
    planned = set(advisor_ids_scheduled_at(branch_id=branch_id, start=start, end=end))
    planned.update(
        Attendance.objects.filter(branch_id=branch_id, day__gte=start, day__lte=end)
        .values_list("advisor_id", flat=True)
        .distinct()
    )
    return sorted(planned, key=str)


def branch_for_report(*, branch_id: UUID) -> Any:
    branch = branches_with_company([branch_id]).first()
    if branch is None:
        raise NotFound("Branch not found.")
    return branch


def attendance_with_requests(*, attendance_id: Any) -> Attendance:
    return Attendance.objects.select_related("shift").prefetch_related("requests").get(pk=attendance_id)


def today_for(*, advisor: Any, now: Any) -> tuple[planning.DayPlan | None, Any, Attendance | None]:
    """The advisor's current shift day: a running night shift of yesterday first, else
    today's plan (in the branch's zone). Answers ``(plan, zone, attendance)``."""
    utc_day = now.date()
    book = PlanBook(advisor_ids=[advisor.pk], start=utc_day - timedelta(days=2), end=utc_day + timedelta(days=1))
    branch_ids = sorted({s.branch_id for s in book.schedules.get(advisor.pk, [])}, key=str)
    for branch_id in branch_ids:
        zone = book.clock.zone(branch_id)
        local_today = now.astimezone(zone).date()
        yesterday = book.plan(advisor.pk, local_today - timedelta(days=1))
        if yesterday.kind == planning.WORK and yesterday.branch_id == branch_id:
            start, end = planning.shift_bounds(yesterday.shift, yesterday.day, zone)
            if (
                now < end + timedelta(minutes=yesterday.shift.check_out_window_after_minutes)
                and end.date() != start.date()
            ):
                return yesterday, zone, _day_row(advisor, yesterday.day)
    for branch_id in branch_ids:
        zone = book.clock.zone(branch_id)
        plan = book.plan(advisor.pk, now.astimezone(zone).date())
        if plan.branch_id == branch_id or plan.kind in (planning.LEAVE, planning.HOLIDAY):
            return plan, zone, _day_row(advisor, plan.day)
    local = now.date()
    return None, None, _day_row(advisor, local)


def _day_row(advisor: Any, day: date) -> Attendance | None:
    return (
        Attendance.objects.filter(advisor=advisor, day=day).select_related("shift").prefetch_related("requests").first()
    )


def shift_for_field(shift_id: Any, *, field: str = "shift_id", active: bool = False) -> Shift:
    """The shift a request body names; a 400 on ``field`` when there is none (or it is inactive)."""
    queryset = Shift.objects.filter(pk=shift_id)
    shift = (queryset.filter(is_active=True) if active else queryset).first()
    if shift is None:
        raise UnknownReference(
            "Unknown shift.", errors={field: ["No active shift with this id." if active else "No shift with this id."]}
        )
    return shift
