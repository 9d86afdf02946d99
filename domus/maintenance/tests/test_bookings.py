"""The public booking through the captcha, a tenant's booking linked to the lease, answers
that raise an emergency, the one workflow, scoping, assignment and rating."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from domus.accounts.tests.factories import UserFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance.models import Transition, WorkOrder, WorkOrderStatus
from domus.maintenance.tests.helpers import booking_body
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def _move(client, booking_id, status, **extra):
    return client.patch_json(f"/api/bookings/{booking_id}", {"status": status, **extra})


@pytest.mark.django_db
def test_public_booking_through_the_captcha_to_closed(api_client, client_for, staff, technician, company, leak):
    refused = api_client.post_json("/api/bookings", booking_body(captcha_token="bad:1"))
    assert refused.status_code == 400
    assert "captcha_token" in refused.json()["errors"]
    body = booking_body(issue=str(leak.id))
    made = api_client.post_json("/api/bookings", body)
    assert made.status_code == 201, made.json()
    booking = made.json()
    assert booking["status"] == "requested"
    assert booking["company_id"] == str(company.id)
    assert booking["date"] == "2026-12-10"
    assert booking["resolve_due_at"]
    replay = api_client.post_json("/api/bookings", {**body})
    assert replay.status_code == 400  # a challenge is used once

    desk = client_for(staff)
    bid = booking["id"]
    assert _move(desk, bid, "triaged", reason="Checked by phone").status_code == 200
    assigned = desk.post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/",
        {"technician_id": str(technician.id), "start": T0.isoformat(), "end": (T0 + timedelta(hours=2)).isoformat()},
    )
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["status"] == "scheduled"
    field = client_for(technician)
    assert _move(field, bid, "in_progress").status_code == 403  # PATCH is the desk's
    started = field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "in_progress"})
    assert started.status_code == 200
    assert field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "work_done"}).status_code == 200
    assert _move(desk, bid, "ready_to_bill").status_code == 200
    closed = desk.put_json(f"/api/bookings/{bid}", {"status": "closed", "reason": "Paid"})
    assert closed.status_code == 200
    history = [(t["from_status"], t["to_status"]) for t in closed.json()["transitions"]]
    assert history == [
        ("", "requested"),
        ("requested", "triaged"),
        ("triaged", "scheduled"),
        ("scheduled", "in_progress"),
        ("in_progress", "work_done"),
        ("work_done", "ready_to_bill"),
        ("ready_to_bill", "closed"),
    ]
    assert closed.json()["transitions"][1]["reason"] == "Checked by phone"
    assert closed.json()["transitions"][1]["actor_id"] == str(staff.id)


@pytest.mark.django_db
def test_an_invalid_move_is_409_listing_the_allowed_ones_and_reopen_is_counted(api_client, client_for, staff):
    bid = api_client.post_json("/api/bookings", booking_body()).json()["id"]
    desk = client_for(staff)
    wrong = _move(desk, bid, "closed")
    assert wrong.status_code == 409
    assert wrong.json()["errors"] == {"status": ["Allowed: triaged, cancelled, rejected."]}
    WorkOrder.objects.filter(pk=bid).update(status=WorkOrderStatus.CLOSED)
    reopened = _move(desk, bid, "triaged", reason="Leaks again")
    assert reopened.status_code == 200
    assert reopened.json()["reopen_count"] == 1
    assert _move(desk, bid, "cancelled").status_code == 200
    assert _move(desk, bid, "triaged").json()["errors"] == {"status": ["Allowed: none."]}


@pytest.mark.django_db
def test_an_answer_makes_it_an_emergency_and_a_tenant_booking_links_the_lease(
    client_for, company, leak, electrics_question
):
    lease = LeaseFactory(status="active", listing__company=company)
    tenant = client_for(lease.tenant)
    body = booking_body(issue=str(leak.id), answers=[{"question_id": str(electrics_question.id), "value": "Yes"}])
    del body["captcha_token"]  # signed in: no captcha
    made = tenant.post_json("/api/v1/maintenance/bookings/", body)
    assert made.status_code == 201, made.json()
    booking = made.json()
    assert booking["priority"] == "emergency"
    assert (booking["lease_id"], booking["unit_id"], booking["company_id"]) == (
        str(lease.id),
        str(lease.unit_id),
        str(lease.company_id),
    )
    created = datetime.fromisoformat(booking["created_at"])
    assert datetime.fromisoformat(booking["resolve_due_at"]) - created == timedelta(hours=4)
    missing = tenant.post_json("/api/v1/maintenance/bookings/", {**body, "answers": []})
    assert missing.status_code == 201  # answers may follow through /responses
    wrong = tenant.post_json(
        "/api/v1/maintenance/bookings/",
        {**body, "answers": [{"question_id": str(electrics_question.id), "value": "maybe"}]},
    )
    assert wrong.status_code == 400
    assert WorkOrder.objects.count() == 2  # the refused one left nothing behind


@pytest.mark.django_db
def test_each_sees_only_their_own_bookings(api_client, client_for, staff, company, django_assert_num_queries):
    lease = LeaseFactory(status="active", listing__company=company)
    tenant = client_for(lease.tenant)
    body = booking_body()
    del body["captcha_token"]
    mine = tenant.post_json("/api/bookings", body).json()
    for _ in range(3):
        api_client.post_json("/api/bookings", booking_body())
    other_company = CompanyFactory()
    outsider = MembershipFactory(company=other_company).user
    stranger = client_for(UserFactory())

    assert tenant.get("/api/bookings").json()["count"] == 1
    assert client_for(staff).get("/api/bookings").json()["count"] == 4
    assert client_for(outsider).get("/api/bookings").json()["count"] == 0
    assert client_for(outsider).get(f"/api/bookings/{mine['id']}").status_code == 404
    assert stranger.get(f"/api/bookings/{mine['id']}").status_code == 404
    assert api_client.get("/api/bookings").status_code == 401
    assert _move(client_for(outsider), mine["id"], "triaged").status_code == 404

    desk = client_for(staff)
    with django_assert_num_queries(4):  # the same for 4 rows as for 1: no query per row
        assert desk.get("/api/v1/maintenance/bookings/").json()["count"] == 4


@pytest.mark.django_db
def test_vendor_sees_only_assigned_work_and_accepts(api_client, client_for, staff, vendor, vendor_user):
    first = api_client.post_json("/api/bookings", booking_body()).json()["id"]
    api_client.post_json("/api/bookings", booking_body())
    desk = client_for(staff)
    _move(desk, first, "triaged")
    offered = desk.post_json(f"/api/v1/maintenance/bookings/{first}/vendor/", {"vendor_id": str(vendor.id)})
    assert offered.json()["vendor_status"] == "pending"
    portal = client_for(vendor_user)
    listed = portal.get("/api/bookings").json()
    assert [row["id"] for row in listed["results"]] == [first]
    answer = portal.post_json(f"/api/v1/maintenance/bookings/{first}/vendor-answer/", {"accept": True})
    assert answer.status_code == 200
    assert answer.json()["vendor_status"] == "accepted"
    assert _move(desk, first, "scheduled").status_code == 200
    assert portal.post_json(f"/api/v1/maintenance/bookings/{first}/move/", {"status": "in_progress"}).status_code == 200
    assert portal.post_json(f"/api/v1/maintenance/bookings/{first}/move/", {"status": "closed"}).status_code == 403
    assert client_for(staff).get("/api/v1/maintenance/vendors/").json()["count"] == 1


@pytest.mark.django_db
def test_a_declining_vendor_is_unassigned(api_client, client_for, staff, vendor, vendor_user):
    bid = api_client.post_json("/api/bookings", booking_body()).json()["id"]
    client_for(staff).post_json(f"/api/v1/maintenance/bookings/{bid}/vendor/", {"vendor_id": str(vendor.id)})
    declined = client_for(vendor_user).post_json(
        f"/api/v1/maintenance/bookings/{bid}/vendor-answer/", {"accept": False, "reason": "Too far"}
    )
    assert declined.json()["vendor_status"] == "declined"
    assert declined.json()["vendor_id"] is None
    assert client_for(vendor_user).get(f"/api/bookings/{bid}").status_code == 404
    assert Transition.objects.filter(work_order_id=bid, reason__contains="Too far").exists()


@pytest.mark.django_db
def test_a_technician_is_not_booked_twice_at_once(api_client, client_for, staff, technician):
    desk = client_for(staff)
    ids = [api_client.post_json("/api/bookings", booking_body()).json()["id"] for _ in range(3)]
    for bid in ids:
        _move(desk, bid, "triaged")

    def book(bid, start):
        return desk.post_json(
            f"/api/v1/maintenance/bookings/{bid}/technician/",
            {
                "technician_id": str(technician.id),
                "start": start.isoformat(),
                "end": (start + timedelta(hours=2)).isoformat(),
            },
        )

    assert book(ids[0], T0).status_code == 200
    clash = book(ids[1], T0 + timedelta(hours=1))
    assert clash.status_code == 409
    assert "technician_id" in clash.json()["errors"]
    assert book(ids[2], T0 + timedelta(hours=2)).status_code == 200  # back to back is fine
    outsider = UserFactory()
    assert book(ids[1], T0 + timedelta(days=1)).status_code == 200
    refused = desk.post_json(
        f"/api/v1/maintenance/bookings/{ids[1]}/technician/",
        {"technician_id": str(outsider.id), "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()},
    )
    assert refused.status_code == 400


@pytest.mark.django_db
def test_rating_and_the_overdue_list(client_for, company, leak):
    lease = LeaseFactory(status="active", listing__company=company)
    tenant = client_for(lease.tenant)
    body = booking_body()
    del body["captcha_token"]
    bid = tenant.post_json("/api/bookings", body).json()["id"]
    assert tenant.post_json(f"/api/v1/maintenance/bookings/{bid}/rating/", {"rating": 5}).status_code == 409
    WorkOrder.objects.filter(pk=bid).update(status=WorkOrderStatus.CLOSED)
    rated = tenant.post_json(f"/api/v1/maintenance/bookings/{bid}/rating/", {"rating": 4, "comment": "Quick"})
    assert rated.status_code == 200
    assert rated.json()["rating"] == 4
    assert tenant.post_json(f"/api/v1/maintenance/bookings/{bid}/rating/", {"rating": 9}).status_code == 400

    late = tenant.post_json("/api/bookings", body).json()["id"]
    WorkOrder.objects.filter(pk=late).update(resolve_due_at=datetime(2020, 1, 1, tzinfo=UTC))
    overdue = tenant.get("/api/bookings?overdue=true").json()
    assert [row["id"] for row in overdue["results"]] == [late]


@pytest.mark.django_db
def test_a_provider_captcha_is_verified_when_a_secret_is_set(api_client, settings, company):
    settings.CAPTCHA_SECRET = "s3cret"
    settings.CAPTCHA_VERIFY_URL = "https://captcha.example.test/siteverify"
    with respx.mock:
        route = respx.post("https://captcha.example.test/siteverify").mock(
            side_effect=[
                httpx.Response(200, json={"success": False}),
                httpx.Response(200, json={"success": True}),
                httpx.Response(502),
            ]
        )
        assert api_client.post_json("/api/bookings", booking_body(captcha_token="tok")).status_code == 400
        assert api_client.post_json("/api/bookings", booking_body(captcha_token="tok")).status_code == 201
        assert api_client.post_json("/api/bookings", booking_body(captcha_token="tok")).status_code == 503
    assert b"secret=s3cret" in route.calls[0].request.content


@pytest.mark.django_db
def test_public_bookings_are_throttled(api_client, settings, rate_limits, company):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(booking="2/h")
    codes = [api_client.post_json("/api/bookings", booking_body()).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
