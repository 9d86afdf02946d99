"""Parts of a job: reserved from the branch's stock when scheduled, issued when used
(ledger rows for the job), the rest released when the work is done."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from domus.inventory.services import stock
from domus.inventory.tests.factories import SparePartFactory
from domus.maintenance.tests.helpers import booking_body

Stock = apps.get_model("inventory", "Stock")
StockEntry = apps.get_model("inventory", "StockEntry")
T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def _receive(actor, part, branch, quantity) -> None:
    entry = stock.entry_create(
        actor=actor,
        kind="receipt",
        branch_id=branch.id,
        lines=[{"part_id": part.id, "quantity": Decimal(quantity), "unit_cost": Decimal(8)}],
    )
    stock.entry_post(actor=actor, entry_id=entry.pk)


@pytest.mark.django_db
def test_parts_are_reserved_when_scheduled_issued_when_used_and_the_rest_released(
    api_client, client_for, admin_user, staff, technician, branch
):
    part = SparePartFactory()
    _receive(admin_user, part, branch, 5)
    desk = client_for(staff)
    bid = api_client.post_json("/api/bookings", booking_body()).json()["id"]
    desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged"})
    added = desk.post_json(f"/api/v1/maintenance/bookings/{bid}/parts/", {"part_id": str(part.id), "quantity": "3"})
    assert added.status_code == 201, added.json()
    assert added.json()["status"] == "wanted"

    def book():
        return desk.post_json(
            f"/api/v1/maintenance/bookings/{bid}/technician/",
            {
                "technician_id": str(technician.id),
                "start": T0.isoformat(),
                "end": (T0 + timedelta(hours=1)).isoformat(),
            },
        )

    no_branch = book()
    assert no_branch.status_code == 409
    assert "branch_id" in no_branch.json()["errors"]
    desk.patch_json(f"/api/bookings/{bid}", {"branch_id": str(branch.id)})
    assert book().status_code == 200
    row = Stock.objects.get(part=part, branch=branch)
    assert (row.on_hand, row.reserved) == (5, 3)

    line = desk.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json()[0]
    assert line["status"] == "reserved"
    field = client_for(technician)
    field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "in_progress"})
    issued = field.post_json(f"/api/v1/maintenance/bookings/{bid}/parts/{line['id']}/issue/", {"quantity": "2"})
    assert issued.status_code == 200, issued.json()
    assert issued.json()["issued"] == "2.000"
    assert StockEntry.objects.filter(kind="issue", job_id=bid).count() == 1
    assert field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "work_done"}).status_code == 200
    row.refresh_from_db()
    assert (row.on_hand, row.reserved) == (3, 0)  # 2 used, 1 given back


@pytest.mark.django_db
def test_short_stock_keeps_the_booking_unscheduled(api_client, client_for, admin_user, staff, technician, branch):
    part = SparePartFactory()
    _receive(admin_user, part, branch, 1)
    desk = client_for(staff)
    bid = api_client.post_json("/api/bookings", booking_body()).json()["id"]
    desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged", "branch_id": str(branch.id)})
    desk.post_json(f"/api/v1/maintenance/bookings/{bid}/parts/", {"part_id": str(part.id), "quantity": "2"})
    short = desk.post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/",
        {"technician_id": str(technician.id), "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()},
    )
    assert short.status_code == 409
    assert desk.get(f"/api/bookings/{bid}").json()["status"] == "triaged"
    assert Stock.objects.get(part=part, branch=branch).reserved == 0
