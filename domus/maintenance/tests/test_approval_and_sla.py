"""Owner approval above a threshold (scoped approve/decline, notifications, the SLA clock
paused while waiting), business-hour SLA clocks with holidays, the overdue filter."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from domus.accounts.tests.factories import UserFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance import sla
from domus.maintenance.models import ApprovalThreshold, WorkOrder
from domus.maintenance.tests.helpers import tenant_body

Notification = apps.get_model("communications", "Notification")
T0 = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # a Monday


def _job(client_for, company, staff):
    lease = LeaseFactory(status="active", listing__company=company)
    bid = client_for(lease.tenant).post_json("/api/bookings", tenant_body()).json()["id"]
    client_for(staff).patch_json(f"/api/bookings/{bid}", {"status": "triaged"})
    return lease, bid


def _book(desk, bid, technician, start=T0):
    return desk.post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/",
        {
            "technician_id": str(technician.id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        },
    )


@pytest.mark.django_db
def test_an_estimate_above_the_owners_threshold_waits_for_the_owner(
    client_for, company, staff, technician, django_capture_on_commit_callbacks
):
    desk = client_for(staff)
    lease, bid = _job(client_for, company, staff)
    owner = lease.listing.owner
    made = desk.post_json(
        "/api/v1/maintenance/approval-thresholds/", {"company_id": str(company.id), "amount": "10000.00"}
    )
    assert made.status_code == 200, made.json()
    desk.post_json(
        "/api/v1/maintenance/approval-thresholds/",
        {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "5000.00"},
    )
    assert ApprovalThreshold.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        asked = desk.patch_json(
            f"/api/v1/maintenance/bookings/{bid}/costing/", {"estimate_amount": "7500.00", "estimate_note": "New pump"}
        )
    assert asked.status_code == 200, asked.json()
    assert (asked.json()["approval_status"], asked.json()["needs_approval"]) == ("pending", True)
    note = Notification.objects.get(recipient=owner, event="work_order.approval_requested")
    assert "7500.00" in note.body
    detail = desk.get(f"/api/bookings/{bid}").json()
    assert detail["status"] == "awaiting_approval"
    assert detail["sla_paused_at"] is not None
    assert client_for(owner).get("/api/v1/maintenance/bookings/?awaiting_owner=true").json()["count"] == 1

    blocked = _book(desk, bid, technician)
    assert blocked.status_code == 409
    assert blocked.json()["errors"] == {"status": ["Owner approval: pending."]}
    stranger = client_for(UserFactory())
    assert stranger.post_json(f"/api/v1/maintenance/bookings/{bid}/approve/", {}).status_code == 404
    assert client_for(lease.tenant).post_json(f"/api/v1/maintenance/bookings/{bid}/approve/", {}).status_code == 403

    before = WorkOrder.objects.get(pk=bid).resolve_due_at
    with django_capture_on_commit_callbacks(execute=True):
        approved = client_for(owner).post_json(f"/api/v1/maintenance/bookings/{bid}/approve/", {"reason": "Go"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "triaged"
    assert approved.json()["sla_paused_at"] is None
    assert datetime.fromisoformat(approved.json()["resolve_due_at"]) >= before
    assert Notification.objects.filter(recipient=staff, event="work_order.approval_decided").exists()
    assert client_for(owner).post_json(f"/api/v1/maintenance/bookings/{bid}/approve/", {}).status_code == 409
    assert _book(desk, bid, technician).status_code == 200


@pytest.mark.django_db
def test_a_declined_estimate_cannot_be_scheduled_at_the_owners_cost(client_for, company, staff, technician):
    desk = client_for(staff)
    lease, bid = _job(client_for, company, staff)
    ApprovalThreshold.objects.create(company=company, amount=100)
    desk.patch_json(f"/api/v1/maintenance/bookings/{bid}/costing/", {"estimate_amount": "500.00"})
    declined = client_for(lease.listing.owner).post_json(
        f"/api/v1/maintenance/bookings/{bid}/decline/", {"reason": "Too dear"}
    )
    assert declined.json()["status"] == "triaged"
    assert _book(desk, bid, technician).json()["errors"] == {"status": ["Owner approval: declined."]}
    # The desk bills the company instead: no approval needed.
    desk.patch_json(f"/api/v1/maintenance/bookings/{bid}/costing/", {"payer": "company"})
    assert _book(desk, bid, technician).status_code == 200
    # Below the threshold nothing waits.
    _, other = _job(client_for, company, staff)
    small = desk.patch_json(f"/api/v1/maintenance/bookings/{other}/costing/", {"estimate_amount": "50.00"})
    assert small.json()["approval_status"] == ""
    assert desk.get("/api/v1/maintenance/approval-thresholds/").json()["count"] == 1
    assert client_for(UserFactory()).get("/api/v1/maintenance/approval-thresholds/").json()["count"] == 0


def test_business_hours_skip_nights_weekends_and_holidays():
    calendar = sla.Calendar(ZoneInfo("Africa/Nairobi"), time(8), time(17), (1, 2, 3, 4, 5), "KE", "")
    friday_4pm = datetime(2026, 12, 11, 16, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    due = sla.add_business_hours(friday_4pm, 3, calendar)
    # 1 h on Friday; Saturday 12 Dec is Jamhuri Day and a weekend; Monday 8:00 + 2 h.
    assert due == datetime(2026, 12, 14, 10, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    christmas_eve = datetime(2026, 12, 24, 16, 30, tzinfo=ZoneInfo("Africa/Nairobi"))
    # Christmas (Fri 25) and Boxing Day, then the weekend: Monday 28th.
    assert sla.add_business_hours(christmas_eve, 1, calendar).date() == date(2026, 12, 28)
    assert sla.business_hours_between(friday_4pm, due, calendar) == timedelta(hours=3)
    round_the_clock = sla.Calendar(round_the_clock=True)
    assert sla.add_business_hours(friday_4pm, 3, round_the_clock) == friday_4pm + timedelta(hours=3)


@pytest.mark.django_db
def test_deadlines_follow_the_companys_service_hours(client_for, company, staff):
    from domus.maintenance.services import _set_priority

    company.country = "KE"
    company.save()
    saved = client_for(staff).put_json(
        f"/api/v1/maintenance/service-hours/{company.id}/",
        {"time_zone": "Africa/Nairobi", "opens": "08:00", "closes": "17:00", "weekdays": [1, 2, 3, 4, 5]},
    )
    assert saved.status_code == 200, saved.json()
    outsider = client_for(UserFactory())
    assert outsider.put_json(f"/api/v1/maintenance/service-hours/{company.id}/", {}).status_code == 403
    bad = client_for(staff).put_json(f"/api/v1/maintenance/service-hours/{company.id}/", {"time_zone": "Mars/Base"})
    assert bad.status_code == 400
    _, bid = _job(client_for, company, staff)
    nairobi = ZoneInfo("Africa/Nairobi")
    WorkOrder.objects.filter(pk=bid).update(created_at=datetime(2026, 12, 11, 16, 0, tzinfo=nairobi))  # Friday
    work_order = WorkOrder.objects.get(pk=bid)
    _set_priority(work_order, "normal")
    # 8 business hours to respond: 1 h Friday, the holiday weekend, 7 h on Monday.
    assert work_order.response_due_at.astimezone(nairobi) == datetime(2026, 12, 14, 15, 0, tzinfo=nairobi)
    _set_priority(work_order, "emergency")  # round the clock
    assert work_order.response_due_at.astimezone(nairobi) == datetime(2026, 12, 11, 17, 0, tzinfo=nairobi)


@pytest.mark.django_db
def test_the_overdue_list_leaves_out_jobs_waiting_on_the_owner_and_flags_breaches(client_for, company, staff):
    desk = client_for(staff)
    _, late = _job(client_for, company, staff)
    _, waiting = _job(client_for, company, staff)
    past = datetime(2020, 1, 1, tzinfo=UTC)
    WorkOrder.objects.filter(pk__in=[late, waiting]).update(resolve_due_at=past)
    WorkOrder.objects.filter(pk=waiting).update(status="awaiting_approval", sla_paused_at=past)
    rows = desk.get("/api/v1/maintenance/bookings/?overdue=true").json()["results"]
    assert [row["id"] for row in rows] == [late]
    assert rows[0]["sla_breached"] is True


@pytest.mark.django_db
def test_sla_alerts_go_once_before_a_breach(client_for, company, staff, django_capture_on_commit_callbacks):
    from domus.maintenance.tasks import sla_alerts

    _, bid = _job(client_for, company, staff)
    WorkOrder.objects.filter(pk=bid).update(resolve_due_at=datetime.now(UTC) + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_alerts() == 1
    assert sla_alerts() == 0
    assert Notification.objects.filter(recipient=staff, event="work_order.sla_at_risk").count() == 1
