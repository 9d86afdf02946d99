"""Editing and drafting: explicit nulls, late-fee caps, the unit rule (400s in the one error shape)."""

from datetime import date
from decimal import Decimal

import pytest

from domus.leasing.models import Lease
from domus.leasing.services import late_fee_for
from domus.leasing.tests.factories import LeaseFactory
from domus.leasing.tests.test_api_leases import _body
from domus.properties.tests.factories import ListingFactory

NON_NULLABLE = [
    "start_date",
    "end_date",
    "rent_amount",
    "billing_day",
    "deposit",
    "grace_days",
    "late_fee_type",
    "late_fee_value",
    "management_fee_percent",
]


@pytest.mark.django_db
@pytest.mark.parametrize("field", NON_NULLABLE)
def test_patching_a_required_field_to_null_is_a_400_and_changes_nothing(client_for, staff, listing, unit, field):
    lease = LeaseFactory(listing=listing, unit=unit, late_fee_type="fixed", late_fee_value=Decimal("500"))
    before = Lease.objects.filter(pk=lease.pk).values().get()

    response = client_for(staff).patch_json(f"/api/v1/leasing/leases/{lease.id}/", {field: None})

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert list(body["errors"]) == [field]  # the schema states these fields as never null
    assert Lease.objects.filter(pk=lease.pk).values().get() == before


@pytest.mark.django_db
def test_patching_the_unit_to_null_leases_the_whole_listing_when_it_has_no_units(client_for, staff, company):
    listing = ListingFactory(company=company, listing_type="rent")  # no units
    lease = LeaseFactory(listing=listing, unit=None)

    response = client_for(staff).patch_json(f"/api/v1/leasing/leases/{lease.id}/", {"unit_id": None, "grace_days": 2})

    assert response.status_code == 200, response.content
    assert (response.json()["unit_id"], response.json()["grace_days"]) == (None, 2)
    lease.refresh_from_db()
    assert (lease.unit_id, lease.grace_days) == (None, 2)


@pytest.mark.django_db
def test_a_listing_with_units_is_leased_unit_by_unit(client_for, staff, listing, unit, tenant):
    client = client_for(staff)
    response = client.post_json("/api/v1/leasing/leases/", _body(listing, unit, tenant, unit_id=None))

    assert response.status_code == 400
    assert "unit_id" in response.json()["errors"]
    assert not Lease.objects.exists()

    lease = LeaseFactory(listing=listing, unit=unit)
    response = client.patch_json(f"/api/v1/leasing/leases/{lease.id}/", {"unit_id": None})
    assert response.status_code == 400
    assert "unit_id" in response.json()["errors"]
    lease.refresh_from_db()
    assert lease.unit_id == unit.id


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fee_type", "value"),
    [("percent", "100.01"), ("percent", "150"), ("percent", "0"), ("fixed", "-1")],
)
def test_out_of_range_late_fees_are_refused(client_for, staff, listing, unit, tenant, fee_type, value):
    response = client_for(staff).post_json(
        "/api/v1/leasing/leases/", _body(listing, unit, tenant, late_fee_type=fee_type, late_fee_value=value)
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "late_fee_value" in response.json()["errors"]
    assert not Lease.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("fee_type", "value"), [("percent", "100"), ("percent", "0.5"), ("fixed", "0")])
def test_late_fees_at_the_limits_are_accepted(client_for, staff, listing, unit, tenant, fee_type, value):
    response = client_for(staff).post_json(
        "/api/v1/leasing/leases/", _body(listing, unit, tenant, late_fee_type=fee_type, late_fee_value=value)
    )

    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_switching_a_fixed_fee_to_percent_checks_the_value(client_for, staff, listing, unit):
    lease = LeaseFactory(listing=listing, unit=unit, late_fee_type="fixed", late_fee_value=Decimal("500"))

    response = client_for(staff).patch_json(f"/api/v1/leasing/leases/{lease.id}/", {"late_fee_type": "percent"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"late_fee_value": ["A percent late fee must be more than 0 and at most 100."]}
    lease.refresh_from_db()
    assert lease.late_fee_type == "fixed"


@pytest.mark.django_db
def test_the_late_fee_rule(listing, unit):
    percent = LeaseFactory.build(listing=listing, unit=unit, late_fee_type="percent", late_fee_value=Decimal("5"))
    fixed = LeaseFactory.build(listing=listing, unit=unit, late_fee_type="fixed", late_fee_value=Decimal("750"))
    none = LeaseFactory.build(listing=listing, unit=unit)

    assert late_fee_for(percent, Decimal("30000")) == Decimal("1500.00")
    assert late_fee_for(fixed, Decimal("30000")) == Decimal("750.00")
    assert late_fee_for(none, Decimal("30000")) == Decimal("0.00")


@pytest.mark.django_db
def test_end_date_not_after_start_is_a_400_on_patch(client_for, staff, listing, unit):
    lease = LeaseFactory(listing=listing, unit=unit)

    response = client_for(staff).patch_json(f"/api/v1/leasing/leases/{lease.id}/", {"end_date": "2026-01-01"})

    assert response.status_code == 400
    assert "end_date" in response.json()["errors"]
    lease.refresh_from_db()
    assert lease.end_date == date(2026, 12, 31)
