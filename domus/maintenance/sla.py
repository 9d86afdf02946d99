"""SLA clocks in business hours: a company's working days and hours in its time zone,
less the public holidays of its country (the ``holidays`` package). Pure functions over a
``Calendar`` read once; priorities in ``MAINTENANCE_SLA_ROUND_THE_CLOCK`` (emergencies by
default) count every hour instead."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from domus.core.calendars import public_holidays

WEEKDAYS = (1, 2, 3, 4, 5)
MAX_DAYS = 3660  # no deadline is searched for further than ten years out


@dataclass(frozen=True)
class Calendar:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    opens: time = time(8)
    closes: time = time(17)
    weekdays: tuple[int, ...] = WEEKDAYS
    country: str = ""
    subdivision: str = ""
    round_the_clock: bool = False

    def is_working_day(self, day: date) -> bool:
        if day.isoweekday() not in self.weekdays:
            return False
        return day not in public_holidays(self.country, self.subdivision, day.year)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of ``day`` as aware datetimes, None on a day off."""
        if not self.is_working_day(day):
            return None
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )


def calendar_of(hours: object | None, *, company_country: str = "", priority: str = "") -> Calendar:
    """The calendar of a company's ``ServiceHours`` row (or the defaults without one)."""
    round_the_clock = priority in settings.MAINTENANCE_SLA_ROUND_THE_CLOCK
    if hours is None:
        zone_name, country, subdivision = settings.MAINTENANCE_DEFAULT_TIME_ZONE, company_country, ""
        opens, closes, weekdays = time(8), time(17), WEEKDAYS
    else:
        zone_name = hours.time_zone
        country, subdivision = hours.country or company_country, hours.subdivision
        opens, closes = hours.opens, hours.closes
        weekdays = tuple(sorted(set(hours.weekdays))) or WEEKDAYS
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return Calendar(zone, opens, closes, weekdays, country, subdivision, round_the_clock)


def add_business_hours(start: datetime, hours: float, calendar: Calendar) -> datetime:
    """The instant ``hours`` working hours after ``start``."""
    if calendar.round_the_clock:
        return start + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    local = start.astimezone(calendar.zone)
    day = local.date()
    for _ in range(MAX_DAYS):
        window = calendar.window(day)
        if window is not None:
            begin = max(window[0], local)
            if begin < window[1]:
                available = window[1] - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("No working hours within ten years.")


def business_hours_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Working time between two instants (zero when ``end`` is not after ``start``)."""
    if end <= start:
        return timedelta(0)
    if calendar.round_the_clock:
        return end - start
    total = timedelta(0)
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            begin, finish = max(window[0], start), min(window[1], end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total
