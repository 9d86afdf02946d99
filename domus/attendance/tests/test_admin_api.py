"""The admin's planning API at the back office's paths: every resource's list, create,
detail, replace, edit and delete; payroll upserts; nobody else may plan."""

import pytest

from domus.attendance.models import PayrollProfile, Shift


def test_shift_lifecycle_at_the_back_office_paths(admin_client, audit_log):
    body = {"name": "Night", "start_time": "22:00", "end_time": "06:00", "crosses_midnight": True, "grace_minutes": 5}
    created = admin_client.post_json("/api/attendance/admin/shifts", body)
    assert created.status_code == 201, created.json()
    shift_id = created.json()["id"]
    assert admin_client.get("/api/attendance/admin/shifts").json()["count"] == 1
    assert admin_client.get(f"/api/attendance/admin/shifts/{shift_id}").json()["grace_minutes"] == 5
    replaced = admin_client.put_json(f"/api/attendance/admin/shifts/{shift_id}", {**body, "grace_minutes": 15})
    assert replaced.json()["grace_minutes"] == 15
    patched = admin_client.patch_json(f"/api/attendance/admin/shifts/{shift_id}", {"name": "Night B"})
    assert patched.json()["name"] == "Night B"
    assert admin_client.delete(f"/api/attendance/admin/shifts/{shift_id}").status_code == 204
    assert admin_client.get(f"/api/attendance/admin/shifts/{shift_id}").status_code == 404
    actions = list(audit_log.objects.filter(resource_type="attendance.shift").values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete", "update", "update"]


def test_a_shift_ending_before_it_starts_must_cross_midnight(admin_client):
    response = admin_client.post_json(
        "/api/attendance/admin/shifts", {"name": "Bad", "start_time": "22:00", "end_time": "06:00"}
    )
    assert response.status_code == 400
    assert "end_time" in response.json()["errors"]
    assert not Shift.objects.exists()


def test_schedule_weekoff_exception_geofence_lifecycles(admin_client, advisor, branch, shift):
    schedule = admin_client.post_json(
        "/api/attendance/admin/schedules",
        {
            "advisor_id": str(advisor.pk),
            "store_id": str(branch.pk),
            "shift_id": str(shift.pk),
            "valid_from": "2026-01-01",
            "weekdays": [4, 0, 1, 0],
        },
    )
    assert schedule.status_code == 201, schedule.json()
    assert schedule.json()["weekdays"] == [0, 1, 4]
    assert schedule.json()["branch_id"] == str(branch.pk)
    sid = schedule.json()["id"]
    assert (
        admin_client.patch_json(f"/api/attendance/admin/schedules/{sid}", {"valid_to": "2026-06-30"}).status_code == 200
    )
    bad = admin_client.patch_json(f"/api/attendance/admin/schedules/{sid}", {"valid_to": "2025-01-01"})
    assert bad.status_code == 400

    week_off = admin_client.post_json("/api/attendance/admin/weekoffs", {"advisor_id": str(advisor.pk), "weekday": 6})
    assert week_off.status_code == 201
    assert (
        admin_client.post_json(
            "/api/attendance/admin/weekoffs", {"advisor_id": str(advisor.pk), "weekday": 7}
        ).status_code
        == 400
    )

    swap = admin_client.post_json(
        "/api/attendance/admin/exceptions",
        {"advisor_id": str(advisor.pk), "kind": "SWAP", "start_date": "2026-02-01", "end_date": "2026-02-02"},
    )
    assert swap.status_code == 400
    assert "shift_id" in swap.json()["errors"]
    leave = admin_client.post_json(
        "/api/attendance/admin/exceptions",
        {"advisor_id": str(advisor.pk), "kind": "LEAVE", "start_date": "2026-02-01", "end_date": "2026-02-02"},
    )
    assert leave.status_code == 201

    circle = admin_client.post_json(
        "/api/attendance/admin/geofences",
        {"branch_id": str(branch.pk), "name": "Door", "latitude": -1.28, "longitude": 36.81, "radius_m": 80},
    )
    assert circle.status_code == 201
    polygon = admin_client.post_json(
        "/api/attendance/admin/geofences",
        {
            "branch_id": str(branch.pk),
            "name": "Yard",
            "kind": "POLYGON",
            "polygon": [[-1.2868, 36.8168], [-1.2868, 36.8177], [-1.2859, 36.8177]],
        },
    )
    assert polygon.status_code == 201, polygon.json()
    crossing = admin_client.post_json(
        "/api/attendance/admin/geofences",
        {"branch_id": str(branch.pk), "name": "Bow", "kind": "POLYGON", "polygon": [[0, 0], [1, 1], [0, 1], [1, 0]]},
    )
    assert crossing.status_code == 400
    for path in ("schedules", "weekoffs", "exceptions", "geofences"):
        listed = admin_client.get(f"/api/attendance/admin/{path}")
        assert listed.status_code == 200
        assert listed.json()["count"] >= 1
    assert admin_client.delete(f"/api/attendance/admin/schedules/{sid}").status_code == 204


def test_a_shift_in_use_cannot_be_deleted(admin_client, schedule, shift):
    assert admin_client.delete(f"/api/attendance/admin/shifts/{shift.pk}").status_code == 409


def test_unknown_references_are_404_naming_the_field(admin_client, shift, branch):
    response = admin_client.post_json(
        "/api/attendance/admin/schedules",
        {
            "advisor_id": "0190b2c4-0000-7000-8000-000000000000",
            "branch_id": str(branch.pk),
            "shift_id": str(shift.pk),
            "valid_from": "2026-01-01",
            "weekdays": [0],
        },
    )
    assert response.status_code == 404
    assert "advisor_id" in response.json()["errors"]


def test_payroll_put_and_patch_upsert(admin_client, advisor):
    path = f"/api/attendance/admin/payroll/{advisor.pk}"
    created = admin_client.patch_json(path, {"base_pay": "30000.00", "currency": "kes"})
    assert created.status_code == 200, created.json()
    assert created.json()["base_pay"] == "30000.00"
    assert created.json()["currency"] == "KES"
    replaced = admin_client.put_json(path, {"base_pay": "31000", "overtime_rate": "250", "pay_basis": "MONTHLY"})
    assert replaced.json()["overtime_rate"] == "250.00"
    assert PayrollProfile.objects.count() == 1
    listed = admin_client.get("/api/attendance/admin/payroll").json()
    assert listed["results"][0]["user_id"] == str(advisor.pk)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/attendance/admin/shifts"),
        ("post", "/api/attendance/admin/shifts"),
        ("get", "/api/attendance/admin/schedules"),
        ("get", "/api/attendance/admin/weekoffs"),
        ("get", "/api/attendance/admin/exceptions"),
        ("get", "/api/attendance/admin/geofences"),
        ("get", "/api/attendance/admin/payroll"),
    ],
)
def test_only_admins_plan(client_for, head, advisor, method, path):
    for user in (head, advisor):
        body = {"name": "Day", "start_time": "09:00", "end_time": "17:00"} if method == "post" else {}
        response = getattr(client_for(user), method)(path, data=body, content_type="application/json")
        assert response.status_code == 403
    assert not Shift.objects.exists()


def test_branch_head_cannot_set_payroll(client_for, head, advisor):
    response = client_for(head).put_json(f"/api/attendance/admin/payroll/{advisor.pk}", {"base_pay": "1"})
    assert response.status_code == 403
    assert not PayrollProfile.objects.exists()


def test_shift_times_are_wall_clock_times_and_minutes_whole_numbers(admin_client):
    aware = admin_client.post_json(
        "/api/attendance/admin/shifts", {"name": "X", "start_time": "01:02:03Z", "end_time": "19:03:00-03:00"}
    )
    assert aware.status_code == 400
    assert set(aware.json()["errors"]) == {"start_time", "end_time"}
    boolean = admin_client.post_json(
        "/api/attendance/admin/shifts",
        {"name": "X", "start_time": "09:00", "end_time": "17:00", "grace_minutes": False},
    )
    assert boolean.status_code == 400
    assert not Shift.objects.exists()
