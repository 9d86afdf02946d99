"""Monthly reports (branch and self) in JSON, CSV and PDF, with payable amounts, and the
auto-attendance job (twice gives the same result) and selfie retention."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from domus.attendance.models import Attendance, PayrollProfile, WeekOff
from domus.attendance.services import auto
from domus.attendance.tests.conftest import local


@pytest.fixture
def march(schedule, advisor, at, check_in, check_out):
    """March 2026: Sundays off; on time on the 2nd, late on the 3rd, a half day on the 4th,
    the rest of the working days absent (the report is read on April 1st)."""
    WeekOff.objects.create(advisor=advisor, weekday=6)
    PayrollProfile.objects.create(
        advisor=advisor, base_pay="27000", overtime_rate="300", late_penalty="100", late_free_count=0, currency="KES"
    )
    for day, arrive, leave in ((2, (8, 55), (18, 0)), (3, (9, 20), (17, 0)), (4, (9, 0), (12, 0))):
        at(local(2026, 3, day, *arrive))
        attendance = check_in(seed=day).json()
        at(local(2026, 3, day, *leave))
        check_out(attendance["id"], seed=100 + day)
    at(local(2026, 4, 1, 12, 0))


def test_my_monthly_report(march, advisor_client):
    report = advisor_client.get("/api/attendance/reports/me?month=2026-03").json()
    me = report["advisors"][0]
    days = {d["day"]: d["status"] for d in me["days"]}
    assert days["2026-03-02"] == "present"
    assert days["2026-03-03"] == "late"
    assert days["2026-03-04"] == "half_day"
    assert days["2026-03-01"] == "week_off"
    assert days["2026-03-05"] == "absent"
    totals = me["totals"]
    assert (totals["present"], totals["late"], totals["half_day"], totals["week_off"]) == (1, 1, 1, 5)
    assert totals["holiday"] == 1  # Idd-ul-Fitr, a public holiday in Kenya
    assert totals["absent"] == 31 - 5 - 3 - 1
    assert totals["late_count"] == 1
    assert totals["worked_minutes"] == 545 + 460 + 180
    payable = me["payable"]
    # 26 paid days planned (the holiday is paid); 22 absences and a half day unpaid:
    # 3.5 / 26 of 27,000; one late arrival at 100.
    assert payable == {
        "currency": "KES",
        "base": "3634.62",
        "overtime": "0.00",
        "late_penalty": "100.00",
        "total": "3534.62",
    }
    assert report["payable_totals"] == {"KES": "3534.62"}


def test_branch_report_in_json_csv_and_pdf(march, client_for, head, branch, admin_client):
    path = f"/api/attendance/reports/store/{branch.pk}"
    body = client_for(head).get(path, {"month": "2026-03"}).json()
    assert len(body["advisors"]) == 1
    assert body["branch_id"] == str(branch.pk)
    csv = admin_client.get(path, {"month": "2026-03", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "advisor_id,name,day,status,worked_minutes,overtime_minutes,late_minutes"
    assert len(lines) == 1 + 31
    pdf = admin_client.get(path, {"month": "2026-03", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "2026-03" in text
    assert "KES 3534.62" in text


def test_a_branch_head_is_refused_another_branchs_report(march, client_for, other_head, branch, advisor_client):
    assert client_for(other_head).get(f"/api/attendance/reports/store/{branch.pk}").status_code == 403
    assert advisor_client.get(f"/api/attendance/reports/store/{branch.pk}").status_code == 403


def test_a_bad_month_is_400(advisor_client):
    assert advisor_client.get("/api/attendance/reports/me?month=2026-13").status_code == 400


def test_auto_attendance_twice_gives_the_same_result(schedule, advisor, at, check_in, audit_log):
    at(local(2026, 3, 2, 8, 58))
    open_day = check_in().json()  # never checked out
    now = local(2026, 3, 4, 12, 0)
    first = auto.attendance_auto_mark(now=now)
    snapshot = sorted(Attendance.objects.values_list("day", "status", "source", "missed_check_out"))
    second = auto.attendance_auto_mark(now=now)
    assert sorted(Attendance.objects.values_list("day", "status", "source", "missed_check_out")) == snapshot
    assert first == {"absent": 1, "half_day": 1, "branches": 1}  # the 3rd absent; the 4th not over yet
    assert second == {"absent": 0, "half_day": 0, "branches": 1}
    assert snapshot == [
        (date(2026, 3, 2), "HALF_DAY", "PUNCH", True),
        (date(2026, 3, 3), "ABSENT", "AUTO", False),
    ]
    assert Attendance.objects.get(pk=open_day["id"]).status == "HALF_DAY"
    assert audit_log.objects.filter(action="auto_mark").count() == 1


def test_auto_attendance_leaves_days_off_alone(schedule, advisor, at):
    WeekOff.objects.create(advisor=advisor, weekday=1)  # Tuesdays
    auto.attendance_auto_mark(now=local(2026, 3, 4, 12, 0))
    assert list(Attendance.objects.values_list("day", flat=True)) == [date(2026, 3, 2)]


def test_selfies_are_deleted_after_retention(schedule, at, check_in, settings):
    at(local(2026, 3, 2, 8, 58))
    row = Attendance.objects.get(pk=check_in().json()["id"])
    assert default_storage.exists(row.check_in_photo)
    assert auto.attendance_photos_purge(now=row.check_in_at + timedelta(days=89)) == 0
    assert auto.attendance_photos_purge(now=row.check_in_at + timedelta(days=91)) == 1
    assert not default_storage.exists(row.check_in_photo)
    row.refresh_from_db()
    assert row.check_in_photo == ""
    assert row.photos_purged_at is not None
