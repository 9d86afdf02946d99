"""Check-out and overtime, and the approval queue: who sees which requests, decisions
updating the day, audited."""

from domus.attendance.models import Attendance, AttendanceRequest
from domus.attendance.tests.conftest import BRANCH_LAT, local


def test_no_overtime_before_shift_end_plus_threshold(schedule, at, check_in, check_out):
    at(local(2026, 3, 2, 8, 58))
    attendance = check_in().json()
    at(local(2026, 3, 2, 17, 25))  # 25 minutes past the end; the threshold is 30
    body = check_out(attendance["id"], ot_request_minutes=25).json()
    assert body["worked_minutes"] == 8 * 60 + 27
    assert body["status"] == "PRESENT"
    assert body["requests"] == []
    assert body["overtime_minutes"] == 0


def test_overtime_after_the_threshold_opens_a_request_and_counts_once_approved(
    schedule, at, check_in, check_out, client_for, head, audit_log
):
    at(local(2026, 3, 2, 8, 58))
    attendance = check_in().json()
    at(local(2026, 3, 2, 18, 40))  # 100 minutes past the end
    body = check_out(attendance["id"], ot_request_minutes=90).json()
    ot = [r for r in body["requests"] if r["kind"] == "OT"]
    assert ot[0]["minutes"] == 90
    assert ot[0]["evidence"]["overtime_available"] == 100
    assert body["overtime_minutes"] == 0  # not before approval

    head_client = client_for(head)
    decided = head_client.post_json(f"/api/attendance/approvals/{ot[0]['id']}/approve", {"reason": "stock count"})
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "APPROVED"
    assert Attendance.objects.get(pk=attendance["id"]).overtime_minutes == 90
    assert audit_log.objects.filter(action="approve", resource_type="attendance.attendancerequest").count() == 1
    again = head_client.post_json(f"/api/attendance/approvals/{ot[0]['id']}/reject", {"reason": "no"})
    assert again.status_code == 409


def test_check_out_twice_is_409_and_someone_elses_is_404(schedule, at, check_in, check_out, client_for, head):
    at(local(2026, 3, 2, 8, 58))
    attendance = check_in().json()
    at(local(2026, 3, 2, 17, 0))
    assert check_out(attendance["id"]).status_code == 200
    assert check_out(attendance["id"], seed=100).status_code == 409


def test_short_day_is_half_day(schedule, at, check_in, check_out):
    at(local(2026, 3, 2, 8, 58))
    attendance = check_in().json()
    at(local(2026, 3, 2, 11, 0))
    assert check_out(attendance["id"]).json()["status"] == "HALF_DAY"


def test_rejecting_an_outside_punch_makes_the_day_absent(schedule, at, check_in, client_for, head, audit_log):
    at(local(2026, 3, 2, 8, 58))
    body = check_in(lat=BRANCH_LAT + 0.01).json()
    request_id = body["requests"][0]["id"]
    head_client = client_for(head)
    assert head_client.post_json(f"/api/attendance/approvals/{request_id}/reject", {}).status_code == 400
    rejected = head_client.post_json(f"/api/attendance/approvals/{request_id}/reject", {"reason": "not at the office"})
    assert rejected.status_code == 200
    assert rejected.json()["reason"] == "not at the office"
    assert Attendance.objects.get(pk=body["id"]).status == "ABSENT"
    assert audit_log.objects.filter(action="reject").count() == 1


def test_approving_late_and_location_opens_the_day(schedule, at, check_in, client_for, head):
    at(local(2026, 3, 2, 9, 30))
    body = check_in(lat=BRANCH_LAT + 0.01).json()
    assert body["status"] == "PENDING_APPROVAL"
    head_client = client_for(head)
    for request in body["requests"]:
        assert head_client.post_json(f"/api/attendance/approvals/{request['id']}/approve").status_code == 200
    row = Attendance.objects.get(pk=body["id"])
    assert row.status == "OPEN"
    assert row.is_late is False  # excused
    assert row.late_minutes == 30  # still on record


def test_new_check_out_signals_queue_an_approved_location_request_again(
    schedule, at, check_in, check_out, client_for, head, audit_log
):
    at(local(2026, 3, 2, 8, 58))
    body = check_in(mock_location="true").json()
    suspect = next(r for r in body["requests"] if r["kind"] == "SUSPECT_LOCATION")
    head_client = client_for(head)
    assert head_client.post_json(f"/api/attendance/approvals/{suspect['id']}/approve").status_code == 200
    at(local(2026, 3, 2, 17, 0))

    closed = check_out(body["id"], mock_location="true").json()

    again = AttendanceRequest.objects.get(pk=suspect["id"])
    assert again.status == "PENDING"
    assert again.decided_at is None
    assert again.evidence["punch"] == "check_out"
    assert again.evidence["earlier"][0]["punch"] == "check_in"
    assert again.evidence["earlier"][0]["decision"]["status"] == "APPROVED"
    assert closed["status"] == "PENDING_APPROVAL"
    assert audit_log.objects.filter(action="requeue").count() == 1
    assert head_client.post_json(f"/api/attendance/approvals/{suspect['id']}/approve").status_code == 200
    assert Attendance.objects.get(pk=body["id"]).status == "PRESENT"


def test_the_queue_is_scoped_to_the_heads_branches(
    schedule, at, check_in, client_for, head, other_head, admin_client, advisor
):
    at(local(2026, 3, 2, 9, 30))
    check_in(lat=BRANCH_LAT + 0.01)
    assert client_for(head).get("/api/attendance/approvals").json()["count"] == 2
    assert admin_client.get("/api/attendance/approvals").json()["count"] == 2
    assert client_for(other_head).get("/api/attendance/approvals").json()["count"] == 0
    assert client_for(advisor).get("/api/attendance/approvals").status_code == 403
    request = AttendanceRequest.objects.first()
    refused = client_for(other_head).post_json(f"/api/attendance/approvals/{request.pk}/approve", {})
    assert refused.status_code == 404
    request.refresh_from_db()
    assert request.status == "PENDING"


def test_the_queue_shows_evidence_and_pins_its_queries(
    schedule, at, check_in, client_for, head, django_assert_max_num_queries
):
    at(local(2026, 3, 2, 9, 30))
    check_in(lat=BRANCH_LAT + 0.01, accuracy=25)
    head_client = client_for(head)
    with django_assert_max_num_queries(6):
        listed = head_client.get("/api/attendance/approvals?kind=OUTSIDE_GEOFENCE").json()
    evidence = listed["results"][0]["evidence"]
    assert evidence["accuracy_m"] == 25
    assert evidence["geofence"]["result"] == "outside"
    assert evidence["selfie_url"]
    assert head_client.get(evidence["selfie_url"]).status_code == 200
    assert client_for(head).get("/api/attendance/approvals?status=APPROVED").json()["count"] == 0
