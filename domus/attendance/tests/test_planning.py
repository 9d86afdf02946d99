"""The resolved plan: night shifts on the day they start, week-offs, public holidays of the
branch's country, leave and swapped shifts; the admin's preview and today's shift."""

from datetime import date, time

import pytest

from domus.attendance.models import BranchCalendar, Schedule, ScheduleException, Shift, WeekOff
from domus.attendance.tests.conftest import local


@pytest.fixture
def utc3_night(advisor, branch, night_shift, fence):
    """The night shift every day at the Nairobi branch (UTC+3)."""
    return Schedule.objects.create(
        advisor=advisor, branch=branch, shift=night_shift, valid_from=date(2026, 1, 1), weekdays=list(range(7))
    )


def test_night_shift_check_in_after_midnight_belongs_to_the_day_it_started(utc3_night, at, check_in, night_shift):
    at(local(2026, 3, 3, 0, 30))  # 00:30 on Tuesday: the shift started Monday at 22:00
    body = check_in(shift_id=night_shift.pk).json()
    assert body["day"] == "2026-03-02"
    assert body["shift_start"].startswith("2026-03-02T19:00:00")  # 22:00 UTC+3
    assert body["shift_end"].startswith("2026-03-03T03:00:00")  # 06:00 UTC+3 the next morning
    assert body["is_late"] is True
    assert body["late_minutes"] == 150


def test_night_shift_check_in_before_start_is_the_same_day(utc3_night, at, check_in, night_shift):
    at(local(2026, 3, 2, 21, 50))
    body = check_in(shift_id=night_shift.pk).json()
    assert body["day"] == "2026-03-02"
    assert body["is_late"] is False


def test_night_shift_check_out_next_morning_counts_the_whole_night(utc3_night, at, check_in, check_out, night_shift):
    at(local(2026, 3, 2, 21, 55))
    attendance = check_in(shift_id=night_shift.pk).json()
    at(local(2026, 3, 3, 6, 5))
    body = check_out(attendance["id"]).json()
    assert body["worked_minutes"] == 8 * 60 + 10
    assert body["status"] == "PRESENT"
    assert body["day"] == "2026-03-02"


def test_week_off_holiday_and_leave_days(schedule, advisor, admin_client, at, check_in):
    WeekOff.objects.create(advisor=advisor, weekday=6)  # Sundays
    ScheduleException.objects.create(
        advisor=advisor, kind="LEAVE", start_date=date(2026, 12, 14), end_date=date(2026, 12, 15), reason="annual"
    )
    response = admin_client.get(
        f"/api/attendance/admin/schedules/{schedule.pk}/preview", {"start": "2026-12-11", "end": "2026-12-15"}
    )
    assert response.status_code == 200, response.json()
    plan = {day["day"]: day for day in response.json()}
    assert plan["2026-12-11"]["kind"] == "work"
    assert plan["2026-12-11"]["shift_start"].startswith("2026-12-11T06:00:00")
    assert plan["2026-12-12"]["kind"] == "holiday"  # Jamhuri Day in Kenya (the company's country)
    assert plan["2026-12-12"]["note"]
    assert plan["2026-12-13"]["kind"] == "week_off"  # a Sunday
    assert plan["2026-12-14"]["kind"] == "leave"
    assert plan["2026-12-15"]["note"] == "annual"

    at(local(2026, 12, 13, 8, 55))
    refused = check_in()
    assert refused.status_code == 400
    assert "week-off" in refused.json()["detail"]
    at(local(2026, 12, 12, 8, 55))
    assert "holiday" in check_in().json()["detail"]
    at(local(2026, 12, 14, 8, 55))
    assert "leave" in check_in().json()["detail"]


def test_the_branch_calendar_sets_the_holiday_country(schedule, branch, admin_client):
    response = admin_client.put_json(
        f"/api/v1/attendance/admin/branches/{branch.pk}/calendar/", {"time_zone": "", "country": "ug"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["country"] == "UG"
    assert body["time_zone"] == "Africa/Nairobi"  # from the branch's coordinates
    assert BranchCalendar.objects.get(branch=branch).country == "UG"
    preview = admin_client.get(
        f"/api/attendance/admin/schedules/{schedule.pk}/preview", {"start": "2026-10-09", "end": "2026-10-09"}
    ).json()
    assert preview[0]["kind"] == "holiday"  # Uganda's Independence Day
    bad = admin_client.put_json(f"/api/v1/attendance/admin/branches/{branch.pk}/calendar/", {"time_zone": "Mars/Base"})
    assert bad.status_code == 400


def test_a_swapped_shift_replaces_the_schedules(schedule, advisor, at, check_in, shift):
    late_shift = Shift.objects.create(name="Late", start_time=time(13), end_time=time(21))
    ScheduleException.objects.create(
        advisor=advisor, kind="SWAP", start_date=date(2026, 3, 4), end_date=date(2026, 3, 4), shift=late_shift
    )
    at(local(2026, 3, 4, 8, 55))
    assert "Late" in check_in().json()["detail"]
    at(local(2026, 3, 4, 12, 55))
    assert check_in(shift_id=late_shift.pk).status_code == 201


def test_me_today_resolves_the_plan(schedule, advisor_client, at, check_in):
    at(local(2026, 3, 2, 8, 0))
    today = advisor_client.get("/api/attendance/me/today").json()
    assert today["day"] == "2026-03-02"
    assert today["plan"]["kind"] == "work"
    assert today["attendance"] is None
    at(local(2026, 3, 2, 9, 20))
    check_in()
    today = advisor_client.get("/api/attendance/me/today").json()
    assert today["attendance"]["status"] == "OPEN"
    assert [r["kind"] for r in today["pending_requests"]] == ["LATE"]


def test_me_today_during_a_night_shift_shows_the_day_it_started(utc3_night, advisor_client, at):
    at(local(2026, 3, 3, 2, 0))
    assert advisor_client.get("/api/attendance/me/today").json()["day"] == "2026-03-02"


def test_preview_takes_dates_or_date_times_and_at_most_92_days(schedule, admin_client):
    path = f"/api/attendance/admin/schedules/{schedule.pk}/preview"
    timed = admin_client.get(path, {"start": "2026-03-02T10:00:00Z", "end": "2026-03-03"})
    assert timed.status_code == 200
    assert [day["day"] for day in timed.json()] == ["2026-03-02", "2026-03-03"]
    assert admin_client.get(path, {"start": "2026-03-02", "end": "2026-07-02"}).status_code == 400
