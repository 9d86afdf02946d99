"""The rent schedule (billing day, proration) and termination (validation, periods cut)."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domus.core.events import subscribe
from domus.leasing import selectors
from domus.leasing.models import Lease, LeaseStatus, RentPeriod
from domus.leasing.services import lease_activate, schedule_for
from domus.leasing.tests.factories import LeaseFactory

received: list[tuple[str, dict]] = []


@subscribe("lease.terminated")
def remember(*, event: str, payload: dict) -> None:
    received.append((event, payload))


def _rows(lease: Lease) -> list[tuple[str, str, str, str]]:
    return [
        (p.period_start.isoformat(), p.period_end.isoformat(), p.due_date.isoformat(), str(p.amount))
        for p in schedule_for(lease)
    ]


def test_a_start_after_the_billing_day_is_due_at_move_in_then_on_the_billing_day():
    lease = Lease(start_date=date(2026, 1, 20), end_date=date(2026, 4, 19), rent_amount=Decimal("31000"), billing_day=5)

    assert _rows(lease) == [
        ("2026-01-20", "2026-02-19", "2026-01-20", "31000.00"),
        ("2026-02-20", "2026-03-19", "2026-03-05", "31000.00"),
        ("2026-03-20", "2026-04-19", "2026-04-05", "31000.00"),
    ]


def test_a_start_on_or_before_the_billing_day_is_due_on_the_billing_day():
    lease = Lease(start_date=date(2026, 1, 1), end_date=date(2026, 2, 28), rent_amount=Decimal("30000"), billing_day=5)

    assert _rows(lease) == [
        ("2026-01-01", "2026-01-31", "2026-01-05", "30000.00"),
        ("2026-02-01", "2026-02-28", "2026-02-05", "30000.00"),
    ]


def test_a_short_final_period_is_prorated_by_days():
    lease = Lease(start_date=date(2026, 1, 1), end_date=date(2026, 3, 15), rent_amount=Decimal("31000"), billing_day=1)

    assert _rows(lease)[-1] == ("2026-03-01", "2026-03-15", "2026-03-01", "15000.00")  # 15 of 31 days


def test_a_final_period_ending_before_the_billing_day_is_due_on_its_last_day():
    lease = Lease(start_date=date(2026, 1, 1), end_date=date(2026, 2, 3), rent_amount=Decimal("28000"), billing_day=10)

    assert _rows(lease)[-1] == ("2026-02-01", "2026-02-03", "2026-02-03", "3000.00")  # 3 of 28 days


@pytest.mark.django_db
def test_the_schedule_api_shows_each_periods_amount_and_days(client_for, staff, listing, unit, tenant):
    lease = LeaseFactory(
        listing=listing,
        unit=unit,
        tenant=tenant,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 2, 14),
        rent_amount=Decimal("28000.00"),
    )
    client_for(staff).post(f"/api/v1/leasing/leases/{lease.id}/activate/")

    results = client_for(tenant).get(f"/api/v1/leasing/leases/{lease.id}/schedule/").json()["results"]

    assert [(r["period_start"], r["days"], r["due_date"], r["amount"]) for r in results] == [
        ("2026-01-01", 31, "2026-01-05", "28000.00"),
        ("2026-02-01", 14, "2026-02-05", "14000.00"),
    ]


@pytest.fixture
def active_lease(listing, unit, staff, tenant):
    lease = LeaseFactory(
        listing=listing,
        unit=unit,
        tenant=tenant,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        rent_amount=Decimal("31000.00"),
    )
    return lease_activate(actor=staff, lease=lease)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "Moved", "on": "2025-12-31"}, "on"),
        ({"reason": "Moved", "on": "2027-01-01"}, "on"),
        ({"reason": "   ", "on": "2026-03-15"}, "reason"),
        ({"reason": "", "on": "2026-03-15"}, "reason"),
        ({"on": "2026-03-15"}, "reason"),
    ],
)
def test_an_invalid_termination_is_a_400_and_changes_nothing(client_for, staff, active_lease, unit, body, field):
    response = client_for(staff).post_json(f"/api/v1/leasing/leases/{active_lease.id}/terminate/", body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in str(response.json()["errors"])
    active_lease.refresh_from_db()
    assert active_lease.status == LeaseStatus.ACTIVE
    assert RentPeriod.objects.filter(lease=active_lease).count() == 12
    unit.refresh_from_db()
    assert unit.status == "rented"


@pytest.mark.django_db
def test_termination_cuts_the_schedule_at_its_date(
    client_for, staff, active_lease, unit, django_capture_on_commit_callbacks
):
    january = active_lease.periods.get(period_start=date(2026, 1, 1))
    january.invoice_id = uuid4()  # already invoiced: stays as it is
    january.save()
    received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post_json(
            f"/api/v1/leasing/leases/{active_lease.id}/terminate/", {"reason": "Tenant moved out", "on": "2026-03-15"}
        )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["ended_on"]) == ("terminated", "2026-03-15")
    rows = list(active_lease.periods.order_by("period_start").values_list("period_start", "period_end", "amount"))
    assert rows == [
        (date(2026, 1, 1), date(2026, 1, 31), Decimal("31000.00")),
        (date(2026, 2, 1), date(2026, 2, 28), Decimal("31000.00")),
        (date(2026, 3, 1), date(2026, 3, 15), Decimal("15000.00")),  # 15 of 31 days
    ]
    unit.refresh_from_db()
    assert unit.status == "available"
    assert [event for event, payload in received if payload["id"] == str(active_lease.id)] == ["lease.terminated"]


@pytest.mark.django_db
def test_periods_after_a_termination_are_never_offered_for_invoicing(client_for, staff, active_lease):
    client_for(staff).post_json(
        f"/api/v1/leasing/leases/{active_lease.id}/terminate/", {"reason": "Sold", "on": "2026-03-15"}
    )

    # what finance's rent job reads: up to the end of the year, only the periods up to the last day
    due = selectors.rent_periods_to_invoice(on=date(2026, 12, 31)).filter(lease=active_lease)
    assert list(due.values_list("period_start", flat=True)) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert (
        selectors.rent_periods_to_invoice(on=date(2026, 12, 31)).filter(period_start__gt=date(2026, 3, 15)).count() == 0
    )


@pytest.mark.django_db
def test_a_terminated_lease_cannot_be_terminated_again(client_for, staff, active_lease):
    client = client_for(staff)
    client.post_json(f"/api/v1/leasing/leases/{active_lease.id}/terminate/", {"reason": "Sold", "on": "2026-03-15"})

    response = client.post_json(
        f"/api/v1/leasing/leases/{active_lease.id}/terminate/", {"reason": "Again", "on": "2026-02-01"}
    )

    assert response.status_code == 409
    active_lease.refresh_from_db()
    assert active_lease.ended_on == date(2026, 3, 15)
