"""Reservations for maintenance jobs, the inventory settings, low-stock notices, serials."""

import uuid
from decimal import Decimal

import pytest
from django.apps import apps

from domus.core.exceptions import Conflict
from domus.core.roles import Role
from domus.inventory.models import Reservation, Serial, Stock
from domus.inventory.services import reservations, stock
from domus.inventory.tests.factories import SparePartFactory
from domus.organizations.tests.factories import MembershipFactory


def _receive(actor, part, branch, quantity, serials=()) -> None:
    entry = stock.entry_create(
        actor=actor,
        kind="receipt",
        branch_id=branch.id,
        lines=[
            {
                "part_id": part.id,
                "quantity": Decimal(quantity),
                "unit_cost": Decimal(8),
                "serial_numbers": list(serials),
            }
        ],
    )
    stock.entry_post(actor=actor, entry_id=entry.pk)


@pytest.mark.django_db
def test_a_job_reserves_issues_and_releases(admin_user, branch_a):
    part = SparePartFactory()
    _receive(admin_user, part, branch_a, 5)
    job = uuid.uuid4()

    held = reservations.reservation_create(
        actor=admin_user, part_id=part.id, branch_id=branch_a.id, quantity=Decimal(3), job_id=job
    )
    other = stock.entry_create(
        actor=admin_user, kind="issue", branch_id=branch_a.id, lines=[{"part_id": part.id, "quantity": Decimal(3)}]
    )
    with pytest.raises(Conflict):  # only 2 are not held for the job
        stock.entry_post(actor=admin_user, entry_id=other.pk)
    issued = reservations.reservation_issue(actor=admin_user, reservation_id=held.pk, quantity=Decimal(2))
    released = reservations.reservation_release(actor=admin_user, reservation_id=held.pk)

    assert issued.job_id == job
    assert issued.lines.get().reservation_id == held.pk
    row = Stock.objects.get(part=part, branch=branch_a)
    assert (row.on_hand, row.reserved) == (3, 0)
    assert (released.status, released.issued) == ("released", Decimal(2))
    with pytest.raises(Conflict):
        reservations.reservation_release(actor=admin_user, reservation_id=held.pk)
    with pytest.raises(Conflict):
        reservations.reservation_create(
            actor=admin_user, part_id=part.id, branch_id=branch_a.id, quantity=Decimal(4), job_id=job
        )
    assert Reservation.objects.count() == 1


@pytest.mark.django_db
def test_issuing_a_whole_reservation_closes_it(admin_user, branch_a):
    part = SparePartFactory(is_serialized=True)
    _receive(admin_user, part, branch_a, 2, serials=["A1", "A2"])
    job = uuid.uuid4()
    held = reservations.reservation_create(
        actor=admin_user, part_id=part.id, branch_id=branch_a.id, quantity=Decimal(1), job_id=job
    )

    reservations.reservation_issue(actor=admin_user, reservation_id=held.pk, serial_numbers=["A2"])

    held.refresh_from_db()
    assert held.status == "issued"
    fitted = Serial.objects.get(serial_number="A2")
    assert (fitted.status, fitted.fitted_to_type, fitted.fitted_to_id) == ("issued", "job", job)


@pytest.mark.django_db
def test_settings_are_read_and_replaced_per_company(admin_client, company, branch_a, audit_log):
    url = f"/api/inventory-config/?company_id={company.id}"

    default = admin_client.get(url)
    saved = admin_client.put_json(
        url,
        {
            "allow_negative": False,
            "valuation_method": "fifo",
            "low_stock_threshold": "2",
            "closing_date": "2025-12-31",
            "default_branch_id": str(branch_a.id),
        },
    )
    unknown = admin_client.put_json(url, {"allow_negative": True, "negative": True})

    assert default.status_code == 200
    assert default.json()["valuation_method"] == "moving_average"
    assert saved.status_code == 200, saved.content
    assert saved.json()["closing_date"] == "2025-12-31"
    assert admin_client.get(url).json()["default_branch_id"] == str(branch_a.id)
    assert unknown.status_code == 400
    assert audit_log.objects.filter(resource_type="inventory.inventoryconfig").count() == 1


@pytest.mark.django_db
def test_a_branch_of_another_company_is_refused_as_default(admin_client, company):
    from domus.organizations.tests.factories import BranchFactory

    foreign = BranchFactory()

    response = admin_client.put_json(
        f"/api/inventory-config/?company_id={company.id}", {"default_branch_id": str(foreign.id)}
    )

    assert response.status_code == 400
    assert "default_branch_id" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_low_stock_notifies_the_branch_staff_once_per_crossing(admin_user, company, branch_a):
    staff = MembershipFactory(company=company, role=Role.STAFF, branch=branch_a).user
    outsider = MembershipFactory(role=Role.STAFF).user
    notifications = apps.get_model("communications", "Notification")
    part = SparePartFactory()
    _receive(admin_user, part, branch_a, 10)
    Stock.objects.filter(part=part).update(reorder_level=3)

    def issue(quantity: int) -> None:
        entry = stock.entry_create(
            actor=admin_user,
            kind="issue",
            branch_id=branch_a.id,
            lines=[{"part_id": part.id, "quantity": Decimal(quantity)}],
        )
        stock.entry_post(actor=admin_user, entry_id=entry.pk)

    issue(7)  # 3 left: at the level
    issue(1)  # still low: no second notice
    assert notifications.objects.filter(recipient=staff, type="stock_low").count() == 1
    _receive(admin_user, part, branch_a, 10)  # back above
    issue(10)  # crosses again
    assert notifications.objects.filter(recipient=staff, type="stock_low").count() == 2
    assert not notifications.objects.filter(recipient=outsider).exists()


@pytest.mark.django_db
def test_serials_are_registered_edited_and_unique_per_part(admin_client, company, branch_a):
    part = SparePartFactory(is_serialized=True)
    body = {"part_id": str(part.id), "serial_number": "X-1", "company_id": str(company.id)}

    made = admin_client.post_json("/api/serials/", body)
    twice = admin_client.post_json("/api/serials/", body)
    fitted = admin_client.patch_json(
        f"/api/serials/{made.json()['id']}/",
        {"fitted_to_type": "unit", "fitted_to_id": str(uuid.uuid4()), "warranty_end": "2027-01-31"},
    )
    half = admin_client.patch_json(f"/api/serials/{made.json()['id']}/", {"fitted_to_type": None})

    assert made.status_code == 201, made.content
    assert made.json()["status"] == "registered"
    assert twice.status_code == 409
    assert fitted.status_code == 200
    assert fitted.json()["warranty_end"] == "2027-01-31"
    assert half.status_code == 400
    assert admin_client.delete(f"/api/serials/{made.json()['id']}/").status_code == 204


@pytest.mark.django_db
def test_a_serialized_line_needs_one_serial_per_unit(admin_client, branch_a):
    part = SparePartFactory(is_serialized=True)

    response = admin_client.post_json(
        "/api/stock-entries/",
        {
            "kind": "receipt",
            "branch_id": str(branch_a.id),
            "lines": [{"part_id": str(part.id), "quantity": "2", "serial_numbers": ["S1"]}],
        },
    )

    assert response.status_code == 400
    assert "lines.0.serial_numbers" in response.json()["errors"]
