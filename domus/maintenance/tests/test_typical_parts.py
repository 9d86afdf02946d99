"""An issue preset's typical parts become proposed part lines of the job when it is
triaged (or scheduled, or opened by a preventive schedule), reserved from the branch's
stock when scheduled like any other line, and never added twice."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from domus.inventory.services import stock
from domus.inventory.tests.factories import SparePartFactory
from domus.maintenance import services
from domus.maintenance.models import PreventiveSchedule
from domus.maintenance.tests.helpers import booking_body

pytestmark = pytest.mark.django_db

Stock = apps.get_model("inventory", "Stock")
T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def _receive(actor, part, branch, quantity) -> None:
    entry = stock.entry_create(
        actor=actor,
        kind="receipt",
        branch_id=branch.id,
        lines=[{"part_id": part.id, "quantity": Decimal(quantity), "unit_cost": Decimal(8)}],
    )
    stock.entry_post(actor=actor, entry_id=entry.pk)


@pytest.fixture
def parts(leak, admin_user, branch):
    washer, tape, retired = SparePartFactory(), SparePartFactory(), SparePartFactory(is_active=False)
    _receive(admin_user, washer, branch, 10)
    _receive(admin_user, tape, branch, 10)
    leak.typical_parts = [
        {"part_id": str(washer.id), "quantity": "2"},
        {"part_id": str(tape.id), "quantity": "1"},
        {"part_id": str(retired.id), "quantity": "1"},  # no longer active: left out
    ]
    leak.save()
    return washer, tape


def test_typical_parts_are_proposed_on_triage_reserved_when_scheduled_and_never_twice(
    api_client, client_for, staff, technician, branch, leak, parts
):
    washer, tape = parts
    desk = client_for(staff)
    bid = api_client.post_json("/api/bookings", booking_body(issue=str(leak.id))).json()["id"]
    assert desk.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json() == []  # a request: nothing yet

    desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged", "branch_id": str(branch.id)})
    lines = desk.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json()
    assert {(line["part_id"], line["quantity"], line["status"], line["from_preset"]) for line in lines} == {
        (str(washer.id), "2.000", "wanted", True),
        (str(tape.id), "1.000", "wanted", True),
    }

    booked = desk.post_json(
        f"/api/v1/maintenance/bookings/{bid}/technician/",
        {"technician_id": str(technician.id), "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()},
    )
    assert booked.status_code == 200, booked.json()
    lines = desk.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json()
    assert len(lines) == 2
    assert {line["status"] for line in lines} == {"reserved"}
    assert Stock.objects.get(part=washer, branch=branch).reserved == 2

    # cancelled and reopened paths never propose them again
    for status in ("in_progress", "work_done", "triaged"):
        moved = desk.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": status})
        assert moved.status_code == 200, moved.json()
    assert len(desk.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json()) == 2


def test_a_preventive_job_starts_with_the_typical_parts(company, branch, leak, parts):
    schedule = PreventiveSchedule.objects.create(
        company=company,
        branch=branch,
        issue=leak,
        title="Check the pipes",
        every_days=30,
        starts_on=date.today(),
        next_due_on=date.today(),
    )
    assert services.preventive_generate(today=date.today()) == 1
    work_order = schedule.runs.get().work_order
    assert work_order.typical_parts_added
    assert sorted(line.quantity for line in work_order.parts.all()) == [Decimal(1), Decimal(2)]
