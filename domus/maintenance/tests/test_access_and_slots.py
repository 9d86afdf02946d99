"""A signed-in tenant's permission to enter and preferred slots: checked on the request,
shown to the desk and the assigned worker, and a visit outside the slots needs an explicit
override when the tenant gave no permission to enter."""

from datetime import UTC, datetime, timedelta

import pytest

from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance.tests.helpers import booking_body, tenant_body

pytestmark = pytest.mark.django_db

DAY = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


def _slot(start_hours: float, hours: float = 2) -> dict:
    start = DAY + timedelta(hours=start_hours)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


@pytest.fixture
def lease(company):
    return LeaseFactory(status="active", listing__company=company)


def _book(client, **extra):
    return client.post_json("/api/v1/maintenance/bookings/", tenant_body(**extra))


def test_the_tenant_gives_slots_that_the_desk_and_the_technician_see(client_for, lease, staff, technician):
    tenant = client_for(lease.tenant)
    made = _book(tenant, permission_to_enter=False, preferred_slots=[_slot(6), _slot(0)])
    assert made.status_code == 201, made.json()
    booking = made.json()
    assert booking["permission_to_enter"] is False
    assert [s["start"][:16] for s in booking["preferred_slots"]] == [
        DAY.isoformat()[:16],
        (DAY + timedelta(hours=6)).isoformat()[:16],
    ]  # earliest first, in UTC
    bid = booking["id"]
    assert client_for(staff).get(f"/api/v1/maintenance/bookings/{bid}/").json()["preferred_slots"]
    client_for(staff).patch_json(f"/api/bookings/{bid}", {"status": "triaged"})
    booked = client_for(staff).post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/",
        {"technician_id": str(technician.id), **_slot(0.5, 1)},
    )
    assert booked.status_code == 200, booked.json()  # inside the first slot
    seen = client_for(technician).get(f"/api/v1/maintenance/bookings/{bid}/").json()
    assert len(seen["preferred_slots"]) == 2
    assert seen["permission_to_enter"] is False


@pytest.mark.parametrize(
    ("slots", "field"),
    [
        ([{"start": _slot(2)["end"], "end": _slot(2)["start"]}], "preferred_slots.0.end"),  # ends before it starts
        ([_slot(-24 * 5)], "preferred_slots.0.start"),  # in the past
        ([_slot(0, 3), _slot(2)], "preferred_slots.1"),  # overlapping
        ([_slot(0), _slot(3), _slot(6), _slot(9)], "preferred_slots"),  # more than MAINTENANCE_PREFERRED_SLOTS_MAX
    ],
)
def test_bad_slots_are_a_400_naming_the_slot(client_for, lease, slots, field):
    answer = _book(client_for(lease.tenant), preferred_slots=slots)
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_the_public_cannot_give_slots_or_permission(api_client, company):
    answer = api_client.post_json("/api/bookings", booking_body(permission_to_enter=True))
    assert answer.status_code == 400
    assert "permission_to_enter" in answer.json()["errors"]


def _triaged_with_slots(client_for, lease, staff, **extra) -> str:
    bid = _book(client_for(lease.tenant), preferred_slots=[_slot(0)], **extra).json()["id"]
    client_for(staff).patch_json(f"/api/bookings/{bid}", {"status": "triaged"})
    return bid


def test_a_visit_outside_the_slots_needs_an_override(client_for, lease, staff, technician):
    bid = _triaged_with_slots(client_for, lease, staff)
    desk = client_for(staff)
    url = f"/api/v1/maintenance/bookings/{bid}/technician/"
    outside = {"technician_id": str(technician.id), **_slot(5, 1)}

    refused = desk.post_json(url, outside)
    assert refused.status_code == 409
    assert "UTC" in refused.json()["errors"]["preferred_slots"][0]  # names the slots
    assert "override_slots" in refused.json()["errors"]
    assert desk.get(f"/api/v1/maintenance/bookings/{bid}/").json()["status"] == "triaged"

    forced = desk.post_json(url, {**outside, "override_slots": True})
    assert forced.status_code == 200, forced.json()
    assert forced.json()["status"] == "scheduled"
    assert "outside the tenant's preferred slots" in forced.json()["transitions"][-1]["reason"]


def test_permission_to_enter_lets_the_desk_book_any_time(client_for, lease, staff, technician):
    bid = _triaged_with_slots(client_for, lease, staff, permission_to_enter=True)
    booked = client_for(staff).post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/", {"technician_id": str(technician.id), **_slot(5, 1)}
    )
    assert booked.status_code == 200, booked.json()


def test_the_tenant_changes_access_later_and_nobody_else_may(client_for, lease, staff):
    tenant = client_for(lease.tenant)
    bid = _book(tenant).json()["id"]
    url = f"/api/v1/maintenance/bookings/{bid}/access/"

    changed = tenant.put_json(url, {"permission_to_enter": True, "preferred_slots": [_slot(1)]})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["permission_to_enter"] is True
    assert len(changed.json()["preferred_slots"]) == 1
    assert client_for(staff).put_json(url, {"permission_to_enter": False}).status_code == 403
    assert tenant.put_json(url, {"preferred_slots": [_slot(-100)]}).status_code == 400


def test_a_vendor_visit_is_checked_against_the_slots_like_a_technicians(client_for, lease, staff, vendor, vendor_user):
    bid = _triaged_with_slots(client_for, lease, staff)
    desk, field = client_for(staff), client_for(vendor_user)
    offer = f"/api/v1/maintenance/bookings/{bid}/vendor/"
    answer = f"/api/v1/maintenance/bookings/{bid}/vendor-answer/"

    refused = desk.post_json(offer, {"vendor_id": str(vendor.id), **_slot(5, 1)})
    assert refused.status_code == 409
    assert "UTC" in refused.json()["errors"]["preferred_slots"][0]  # names the slots
    assert "override_slots" in refused.json()["errors"]
    assert desk.get(f"/api/v1/maintenance/bookings/{bid}/").json()["vendor_id"] is None  # nothing offered
    half = desk.post_json(offer, {"vendor_id": str(vendor.id), "start": _slot(0)["start"]})
    assert half.status_code == 400
    assert "end" in half.json()["errors"]

    offered = desk.post_json(offer, {"vendor_id": str(vendor.id)})  # no time yet: the vendor sets it
    assert offered.status_code == 200, offered.json()
    outside = field.post_json(answer, {"accept": True, **_slot(5, 1)})
    assert outside.status_code == 409
    assert "UTC" in outside.json()["errors"]["preferred_slots"][0]
    assert "override_slots" not in outside.json()["errors"]  # only the desk books outside the slots
    inside = field.post_json(answer, {"accept": True, **_slot(0.5, 1)})
    assert inside.status_code == 200, inside.json()
    assert inside.json()["vendor_status"] == "accepted"
    assert inside.json()["scheduled_start"][:16] == _slot(0.5, 1)["start"][:16]

    forced = desk.post_json(offer, {"vendor_id": str(vendor.id), **_slot(5, 1), "override_slots": True})
    assert forced.status_code == 200, forced.json()
    assert forced.json()["scheduled_start"][:16] == _slot(5, 1)["start"][:16]


def test_permission_to_enter_lets_a_vendor_come_any_time(client_for, lease, staff, vendor, vendor_user):
    bid = _triaged_with_slots(client_for, lease, staff, permission_to_enter=True)
    offered = client_for(staff).post_json(f"/api/v1/maintenance/bookings/{bid}/vendor/", {"vendor_id": str(vendor.id)})
    assert offered.status_code == 200
    accepted = client_for(vendor_user).post_json(
        f"/api/v1/maintenance/bookings/{bid}/vendor-answer/", {"accept": True, **_slot(5, 1)}
    )
    assert accepted.status_code == 200, accepted.json()
