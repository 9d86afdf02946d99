"""Leases of a whole listing (no unit): overlap refused, the listing marked rented and freed."""

from datetime import date

import pytest

from domus.leasing.models import LeaseStatus, RentPeriod
from domus.leasing.services import leases_end_expired
from domus.leasing.tests.factories import LeaseFactory
from domus.properties.tests.factories import ListingFactory


@pytest.fixture
def house(company):
    """A listing without units."""
    return ListingFactory(company=company, listing_type="rent", status="available")


@pytest.mark.django_db
def test_activating_a_whole_listing_lease_marks_the_listing_rented(client_for, staff, house, tenant):
    lease = LeaseFactory(listing=house, unit=None, tenant=tenant)

    response = client_for(staff).post(f"/api/v1/leasing/leases/{lease.id}/activate/")

    assert response.status_code == 200, response.content
    house.refresh_from_db()
    assert house.status == "rented"


@pytest.mark.django_db
def test_a_second_overlapping_whole_listing_lease_is_refused(client_for, staff, house):
    first = LeaseFactory(listing=house, unit=None)
    second = LeaseFactory(listing=house, unit=None, start_date=date(2026, 12, 1), end_date=date(2027, 11, 30))
    client = client_for(staff)
    assert client.post(f"/api/v1/leasing/leases/{first.id}/activate/").status_code == 200

    response = client.post(f"/api/v1/leasing/leases/{second.id}/activate/")

    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT_ERROR"
    second.refresh_from_db()
    assert second.status == LeaseStatus.DRAFT
    assert not RentPeriod.objects.filter(lease=second).exists()


@pytest.mark.django_db
def test_back_to_back_whole_listing_leases_are_fine(client_for, staff, house):
    first = LeaseFactory(listing=house, unit=None)
    second = LeaseFactory(listing=house, unit=None, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31))
    client = client_for(staff)

    assert client.post(f"/api/v1/leasing/leases/{first.id}/activate/").status_code == 200
    assert client.post(f"/api/v1/leasing/leases/{second.id}/activate/").status_code == 200


@pytest.mark.django_db
def test_ending_and_terminating_free_the_listing(client_for, staff, house, company):
    client = client_for(staff)
    ending = LeaseFactory(listing=house, unit=None, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    client.post(f"/api/v1/leasing/leases/{ending.id}/activate/")
    assert leases_end_expired(today=date(2026, 1, 1)) == 1
    house.refresh_from_db()
    assert house.status == "available"

    other = ListingFactory(company=company, listing_type="rent", status="available")
    terminated = LeaseFactory(listing=other, unit=None)
    client.post(f"/api/v1/leasing/leases/{terminated.id}/activate/")
    response = client.post_json(
        f"/api/v1/leasing/leases/{terminated.id}/terminate/", {"reason": "Owner sells", "on": "2026-05-31"}
    )
    assert response.status_code == 200, response.content
    other.refresh_from_db()
    assert other.status == "available"
