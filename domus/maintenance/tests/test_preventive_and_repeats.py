"""Preventive schedules (interval, months or a rule) opening work orders ahead, each due
date once, with reminders; repeat faults flagged and counted per vendor; photos checked."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance import services
from domus.maintenance.models import PreventiveRun, WorkOrder, WorkOrderCosting
from domus.maintenance.tests.helpers import png_bytes, tenant_body

Notification = apps.get_model("communications", "Notification")


@pytest.mark.django_db
def test_a_schedule_opens_each_due_work_order_once_ahead_and_reminds(
    client_for, company, branch, staff, technician, django_capture_on_commit_callbacks, django_assert_num_queries
):
    desk = client_for(staff)
    today = timezone.localdate()
    made = desk.post_json(
        "/api/v1/maintenance/schedules/",
        {
            "company_id": str(company.id),
            "branch_id": str(branch.id),
            "asset": "Lift 2",
            "title": "Lift service",
            "every_months": 3,
            "starts_on": (today + timedelta(days=10)).isoformat(),
            "lead_days": 14,
            "remind_days": 10,
            "technician_id": str(technician.id),
        },
    )
    assert made.status_code == 201, made.json()
    schedule = made.json()
    assert schedule["next_due_on"] == (today + timedelta(days=10)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.preventive_generate(today=today) == 1
    assert services.preventive_generate(today=today) == 0  # run again: nothing new
    run = PreventiveRun.objects.get()
    order = run.work_order
    assert (order.status, order.technician_id, order.branch_id) == ("triaged", technician.id, branch.id)
    assert WorkOrderCosting.objects.get(work_order=order).cause == "preventive"
    assert run.reminded_at is not None
    assert Notification.objects.filter(recipient=technician, event="work_order.preventive_due").exists()
    detail = desk.get(f"/api/v1/maintenance/schedules/{schedule['id']}/").json()
    assert detail["next_due_on"] > (today + timedelta(days=80)).isoformat()
    # A year on: the three due dates in between, each once.
    assert services.preventive_generate(today=today + timedelta(days=300)) == 3
    assert PreventiveRun.objects.count() == 4

    for title in ("Boilers", "Extinguishers"):
        rule = desk.post_json(
            "/api/v1/maintenance/schedules/",
            {
                "company_id": str(company.id),
                "title": title,
                "rule": "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1",
                "starts_on": "2027-01-01",
            },
        )
        assert rule.status_code == 201, rule.json()
        assert rule.json()["next_due_on"] == "2027-03-01"
    two = desk.post_json(
        "/api/v1/maintenance/schedules/",
        {"company_id": str(company.id), "title": "X", "every_days": 7, "every_months": 1, "starts_on": "2027-01-01"},
    )
    assert two.status_code == 400
    bad = desk.post_json(
        "/api/v1/maintenance/schedules/",
        {"company_id": str(company.id), "title": "X", "rule": "FREQ=SOMETIMES", "starts_on": "2027-01-01"},
    )
    assert bad.status_code == 400
    with django_assert_num_queries(3):  # the same for 3 rows as for 1
        assert desk.get("/api/v1/maintenance/schedules/").json()["count"] == 3
    assert client_for(UserFactory()).get("/api/v1/maintenance/schedules/").json()["count"] == 0
    assert client_for(UserFactory()).get(f"/api/v1/maintenance/schedules/{schedule['id']}/").status_code == 404
    paused = desk.patch_json(f"/api/v1/maintenance/schedules/{schedule['id']}/", {"is_active": False})
    assert paused.json()["is_active"] is False
    assert services.preventive_generate(today=today + timedelta(days=2000)) > 0  # only the yearly ones
    assert PreventiveRun.objects.filter(schedule_id=schedule["id"]).count() == 4


@pytest.mark.django_db
def test_the_same_fault_again_is_flagged_and_counted_for_the_vendor(client_for, company, staff, vendor, leak):
    lease = LeaseFactory(status="active", listing__company=company)
    tenant = client_for(lease.tenant)
    first = tenant.post_json("/api/bookings", tenant_body(issue=str(leak.id))).json()
    assert first["repeat_of_id"] is None
    WorkOrder.objects.filter(pk=first["id"]).update(vendor=vendor)
    again = tenant.post_json("/api/bookings", tenant_body(issue=str(leak.id))).json()
    assert again["repeat_of_id"] == first["id"]
    other = tenant.post_json("/api/bookings", tenant_body()).json()  # no issue: not a repeat
    assert other["repeat_of_id"] is None
    desk = client_for(staff)
    assert [r["id"] for r in desk.get("/api/v1/maintenance/bookings/?repeat=true").json()["results"]] == [again["id"]]
    vendors = desk.get("/api/v1/maintenance/vendors/").json()["results"]
    assert vendors[0]["repeat_faults"] == 1
    WorkOrder.objects.filter(pk=first["id"]).update(created_at=timezone.now() - timedelta(days=45))
    late = tenant.post_json("/api/bookings", tenant_body(issue=str(leak.id))).json()
    assert late["repeat_of_id"] == again["id"]  # the recent one, not the old one


@pytest.mark.django_db
def test_photos_are_checked_and_scoped(client_for, company, staff, settings):
    lease = LeaseFactory(status="active", listing__company=company)
    tenant = client_for(lease.tenant)
    bid = tenant.post_json("/api/bookings", tenant_body()).json()["id"]
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    refused = tenant.post(f"/api/v1/maintenance/bookings/{bid}/photos/", {"file": fake})
    assert refused.status_code == 400
    assert "file" in refused.json()["errors"]
    stranger = client_for(UserFactory())
    photo = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    assert stranger.post(f"/api/v1/maintenance/bookings/{bid}/photos/", {"file": photo}).status_code == 404
    photo = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    added = tenant.post(f"/api/v1/maintenance/bookings/{bid}/photos/", {"file": photo}).json()
    download = client_for(staff).get(f"/api/v1/maintenance/bookings/{bid}/photos/{added['id']}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert stranger.get(f"/api/v1/maintenance/bookings/{bid}/photos/{added['id']}/").status_code == 404
    settings.IMAGE_MAX_PIXELS = 10
    big = SimpleUploadedFile("b.png", png_bytes((10, 10)), content_type="image/png")
    assert tenant.post(f"/api/v1/maintenance/bookings/{bid}/photos/", {"file": big}).status_code == 400


def test_next_due_dates():
    from domus.maintenance.models import PreventiveSchedule

    monthly = PreventiveSchedule(every_months=1, starts_on=date(2027, 1, 31))
    assert services._next_due(monthly, date(2027, 1, 31)) == date(2027, 2, 28)
    rule = PreventiveSchedule(rule="FREQ=MONTHLY;BYDAY=1MO", starts_on=date(2027, 1, 1))
    assert services._next_due(rule, date(2027, 1, 4)) == date(2027, 2, 1)
