"""Serials issued on a job are recorded as fitted at the job's unit: the unit's history
(newest first, paginated, scoped to the company's staff and the listing's owner) and each
serial's current unit; a serial returned to stock and fitted elsewhere moves with it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from domus.core.roles import Role
from domus.inventory.services import stock
from domus.inventory.tests.factories import SparePartFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance.tests.helpers import tenant_body
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db

Serial = apps.get_model("inventory", "Serial")
StockLedgerEntry = apps.get_model("inventory", "StockLedgerEntry")
T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def valve(admin_user, branch):
    part = SparePartFactory(is_serialized=True)
    entry = stock.entry_create(
        actor=admin_user,
        kind="receipt",
        branch_id=branch.id,
        lines=[
            {"part_id": part.id, "quantity": Decimal(3), "unit_cost": Decimal(50), "serial_numbers": ["V1", "V2", "V3"]}
        ],
    )
    stock.entry_post(actor=admin_user, entry_id=entry.pk)
    return part


def _job_issuing(client_for, staff, technician, branch, lease, part, serials, hour=0) -> str:
    """A tenant's job on ``lease``'s unit that fits ``serials`` of ``part``."""
    desk = client_for(staff)
    bid = client_for(lease.tenant).post_json("/api/v1/maintenance/bookings/", tenant_body()).json()["id"]
    desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged", "branch_id": str(branch.id)})
    desk.post_json(f"/api/v1/maintenance/bookings/{bid}/parts/", {"part_id": str(part.id), "quantity": len(serials)})
    start = T0 + timedelta(hours=hour)
    booked = desk.post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/",
        {
            "technician_id": str(technician.id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert booked.status_code == 200, booked.json()
    field = client_for(technician)
    field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "in_progress"})
    line = field.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json()[0]
    issued = field.post_json(
        f"/api/v1/maintenance/bookings/{bid}/parts/{line['id']}/issue/", {"serial_numbers": serials}
    )
    assert issued.status_code == 200, issued.json()
    return bid


def test_serials_issued_on_a_job_are_fitted_at_its_unit(client_for, company, staff, technician, branch, valve):
    lease = LeaseFactory(status="active", listing__company=company)
    ledger_before = StockLedgerEntry.objects.count()
    bid = _job_issuing(client_for, staff, technician, branch, lease, valve, ["V1", "V2"])
    assert StockLedgerEntry.objects.count() == ledger_before + 1  # the issue entry only

    desk = client_for(staff)
    history = desk.get(f"/api/v1/maintenance/units/{lease.unit_id}/serials/").json()
    assert history["count"] == 2
    assert {row["serial_number"] for row in history["results"]} == {"V1", "V2"}
    assert {row["booking_id"] for row in history["results"]} == {bid}
    assert all(row["removed_at"] is None and row["listing_id"] == str(lease.listing_id) for row in history["results"])

    v1 = Serial.objects.get(part=valve, serial_number="V1")
    assert (v1.status, v1.fitted_to_type, v1.fitted_to_id) == ("issued", "unit", lease.unit_id)
    now = desk.get(f"/api/v1/maintenance/serials/{v1.id}/fitting/").json()
    assert (now["unit_id"], now["part_number"]) == (str(lease.unit_id), valve.part_number)
    assert desk.get(f"/api/v1/maintenance/listings/{lease.listing_id}/serials/").json()["count"] == 2

    bad = client_for(technician).post_json(
        f"/api/v1/maintenance/bookings/{bid}/parts/{desk.get(f'/api/v1/maintenance/bookings/{bid}/parts/').json()[0]['id']}/issue/",
        {"serial_numbers": ["V3"]},
    )
    assert bad.status_code == 409  # nothing left reserved on the line


def test_a_returned_serial_fitted_elsewhere_moves_and_the_history_is_newest_first(
    client_for, admin_user, company, staff, technician, branch, valve
):
    first, second = (LeaseFactory(status="active", listing__company=company) for _ in range(2))
    _job_issuing(client_for, staff, technician, branch, first, valve, ["V1"])
    entry = stock.entry_create(
        actor=admin_user,
        kind="return",
        branch_id=branch.id,
        lines=[{"part_id": valve.id, "quantity": Decimal(1), "serial_numbers": ["V1"]}],
    )
    stock.entry_post(actor=admin_user, entry_id=entry.pk)
    desk = client_for(staff)
    v1 = Serial.objects.get(part=valve, serial_number="V1")
    assert desk.get(f"/api/v1/maintenance/serials/{v1.id}/fitting/").status_code == 404  # back in stock

    _job_issuing(client_for, staff, technician, branch, second, valve, ["V1", "V2"], hour=3)
    now = desk.get(f"/api/v1/maintenance/serials/{v1.id}/fitting/").json()
    assert now["unit_id"] == str(second.unit_id)
    old = desk.get(f"/api/v1/maintenance/units/{first.unit_id}/serials/").json()["results"]
    assert [(row["serial_number"], row["removed_at"] is not None) for row in old] == [("V1", True)]
    page = desk.get(f"/api/v1/maintenance/units/{second.unit_id}/serials/?page_size=1").json()
    assert (page["count"], len(page["results"])) == (2, 1)


def test_fitted_serials_are_seen_by_the_company_and_the_owner_only(
    client_for, company, staff, technician, branch, valve, user
):
    lease = LeaseFactory(status="active", listing__company=company)
    _job_issuing(client_for, staff, technician, branch, lease, valve, ["V1"])
    v1 = Serial.objects.get(part=valve, serial_number="V1")
    url = f"/api/v1/maintenance/units/{lease.unit_id}/serials/"
    other_desk = MembershipFactory(company=CompanyFactory(), role=Role.STAFF).user

    assert client_for(lease.listing.owner).get(url).json()["count"] == 1
    for outsider in (other_desk, user, lease.tenant):
        assert client_for(outsider).get(url).json()["count"] == 0
        assert client_for(outsider).get(f"/api/v1/maintenance/serials/{v1.id}/fitting/").status_code == 404
