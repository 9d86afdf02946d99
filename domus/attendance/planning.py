"""The resolved plan of an advisor's day, from schedules, week-offs, exceptions and public
holidays: pure functions over rows already read, so a month of 200 advisors resolves
without a query per day.

Precedence on one day: an exception (leave, holiday, swapped shift) > a public holiday of
the branch's country > a week-off > the schedule's weekdays."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domus.core.calendars import public_holidays

WORK = "work"
WEEK_OFF = "week_off"
HOLIDAY = "holiday"
LEAVE = "leave"
UNSCHEDULED = "unscheduled"


@dataclass(slots=True)
class DayPlan:
    day: date
    kind: str
    shift: Any = None
    schedule: Any = None
    note: str = ""

    @property
    def branch_id(self) -> Any:
        return self.schedule.branch_id if self.schedule is not None else None

    @property
    def site_id(self) -> Any:
        return self.schedule.site_id if self.schedule is not None else None


def holiday_name(country: str, subdivision: str, day: date) -> str | None:
    return public_holidays(country, subdivision, day.year).get(day)


def _covers(start: date | None, end: date | None, day: date) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def schedule_for(schedules: Iterable[Any], day: date) -> Any:
    """The schedule in force on ``day`` (the latest ``valid_from`` wins), or ``None``."""
    best = None
    for schedule in schedules:
        if _covers(schedule.valid_from, schedule.valid_to, day) and (
            best is None or schedule.valid_from > best.valid_from
        ):
            best = schedule
    return best


def plan_day(
    *,
    day: date,
    schedules: Iterable[Any],
    week_offs: Iterable[Any],
    exceptions: Iterable[Any],
    country_of: Any,
) -> DayPlan:
    """The plan of one advisor's ``day``. ``country_of(schedule)`` answers the
    ``(country, subdivision)`` of the schedule's branch for its public holidays."""
    schedule = schedule_for(schedules, day)
    for exception in exceptions:
        if exception.start_date <= day <= exception.end_date:
            if exception.kind == "LEAVE":
                return DayPlan(day, LEAVE, schedule=schedule, note=exception.reason)
            if exception.kind == "HOLIDAY":
                return DayPlan(day, HOLIDAY, schedule=schedule, note=exception.reason)
            if schedule is not None:  # a swapped shift on a planned day or a day off
                return DayPlan(day, WORK, shift=exception.shift, schedule=schedule, note=exception.reason)
    if schedule is None:
        return DayPlan(day, UNSCHEDULED)
    country, subdivision = country_of(schedule)
    name = holiday_name(country, subdivision, day)
    if name:
        return DayPlan(day, HOLIDAY, schedule=schedule, note=name)
    weekday = day.weekday()
    for week_off in week_offs:
        if week_off.weekday == weekday and _covers(week_off.valid_from, week_off.valid_to, day):
            return DayPlan(day, WEEK_OFF, schedule=schedule, note=week_off.note)
    if weekday not in (schedule.weekdays or []):
        return DayPlan(day, WEEK_OFF, schedule=schedule)
    return DayPlan(day, WORK, shift=schedule.shift, schedule=schedule)


def shift_bounds(shift: Any, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The shift's start and end on ``day`` (the day it starts), aware, in ``zone``."""
    start = datetime.combine(day, shift.start_time, tzinfo=zone)
    end_day = day + timedelta(days=1) if shift.end_time <= shift.start_time else day
    end = datetime.combine(end_day, shift.end_time, tzinfo=zone)
    return start, end


def candidate_days(shift: Any, local_now: datetime) -> list[date]:
    """The days whose ``shift`` may be running at ``local_now``: today, and yesterday too
    for a shift crossing midnight (its night belongs to the day it started)."""
    today = local_now.date()
    if shift.end_time <= shift.start_time:
        return [today, today - timedelta(days=1)]
    return [today]


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=n) for n in range((following - first).days)]
