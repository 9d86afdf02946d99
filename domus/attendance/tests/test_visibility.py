"""Nobody sees another advisor's day, selfie or report, nor another branch's requests."""

from datetime import date

from domus.accounts.tests.factories import UserFactory
from domus.attendance.models import Attendance, Schedule
from domus.attendance.tests.conftest import local, selfie
from domus.core.roles import Role
from domus.organizations.tests.factories import MembershipFactory


def test_another_advisor_gets_404_for_my_selfie_and_cannot_check_me_out(
    schedule, at, check_in, client_for, company, branch, other_head
):
    at(local(2026, 3, 2, 8, 58))
    mine = check_in().json()
    stranger = UserFactory(role=Role.AGENT)
    MembershipFactory(user=stranger, company=company, role=Role.AGENT, branch=branch)
    stranger_client = client_for(stranger)
    assert stranger_client.get(mine["check_in_photo_url"]).status_code == 404
    assert client_for(other_head).get(mine["check_in_photo_url"]).status_code == 404
    response = stranger_client.post(
        "/api/attendance/check-out",
        data={"attendance_id": mine["id"], "lat": 0, "lon": 0, "photo": selfie(50)},
    )
    assert response.status_code == 404
    assert Attendance.objects.get(pk=mine["id"]).check_out_at is None


def test_my_report_and_today_show_only_me(schedule, at, check_in, client_for, company, branch, shift):
    at(local(2026, 3, 2, 8, 58))
    check_in()
    colleague = UserFactory(role=Role.AGENT)
    MembershipFactory(user=colleague, company=company, role=Role.AGENT, branch=branch)
    Schedule.objects.create(advisor=colleague, branch=branch, shift=shift, valid_from=date(2026, 1, 1), weekdays=[0])
    colleague_client = client_for(colleague)
    report = colleague_client.get("/api/attendance/reports/me?month=2026-03").json()
    assert [a["advisor_id"] for a in report["advisors"]] == [str(colleague.pk)]
    assert report["advisors"][0]["totals"]["present"] == 0
    assert colleague_client.get("/api/attendance/me/today").json()["attendance"] is None
