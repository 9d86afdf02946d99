"""Two active leases of one unit (or of one whole listing) with overlapping dates: the
exclusion constraints decide."""

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from domus.core.tests.threads import second_waits_for_first
from domus.leasing.models import Lease, LeaseStatus
from domus.leasing.selectors import active_lease_overlaps
from domus.leasing.services import lease_activate
from domus.leasing.tests.factories import LeaseFactory
from domus.properties.tests.factories import ListingFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_activating_overlapping_leases_one_wins(client_for, staff, listing, unit, settings):
    settings.RATE_LIMITS_ENABLED = False
    leases = [
        LeaseFactory(listing=listing, unit=unit),
        LeaseFactory(listing=listing, unit=unit, start_date=date(2026, 3, 1), end_date=date(2027, 2, 28)),
    ]
    clients = [client_for(staff), client_for(staff)]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def activate(client, lease) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(client.post(f"/api/v1/leasing/leases/{lease.id}/activate/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=pair) for pair in zip(clients, leases, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    assert Lease.objects.filter(unit=unit, status=LeaseStatus.ACTIVE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_activation_of_the_unit_waits_for_the_first_and_sees_it(client_for, staff, listing, unit, settings):
    """From its overlap check to its commit an activation holds the unit: a second one of
    an overlapping lease waits, then finds the first active (409), instead of both
    writing and one failing (or both deadlocking on the exclusion constraint)."""
    settings.RATE_LIMITS_ENABLED = False
    first = LeaseFactory(listing=listing, unit=unit)
    second = LeaseFactory(listing=listing, unit=unit, start_date=date(2026, 3, 1), end_date=date(2027, 2, 28))

    activated, waited, answer = second_waits_for_first(
        lambda: active_lease_overlaps(lease=first),
        lambda: lease_activate(actor=staff, lease=first),
        lambda: client_for(staff).post(f"/api/v1/leasing/leases/{second.id}/activate/"),
    )

    assert activated.status == LeaseStatus.ACTIVE
    assert waited
    assert answer.status_code == 409, answer.content
    assert list(Lease.objects.filter(unit=unit, status=LeaseStatus.ACTIVE).values_list("pk", flat=True)) == [first.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overlapping_active_leases(listing, unit):
    LeaseFactory(listing=listing, unit=unit, status=LeaseStatus.ACTIVE)

    with pytest.raises(IntegrityError), transaction.atomic():
        LeaseFactory(
            listing=listing,
            unit=unit,
            status=LeaseStatus.ACTIVE,
            start_date=date(2026, 12, 1),
            end_date=date(2027, 1, 31),
        )


def _activate_at_once(clients, leases) -> list[int]:
    """Activate each lease through the API in its own thread (own connection), all at once."""
    start = threading.Barrier(len(leases))
    statuses: list[int] = []

    def activate(client, lease) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(client.post(f"/api/v1/leasing/leases/{lease.id}/activate/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=pair) for pair in zip(clients, leases, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_whole_listing_leases_one_wins(client_for, staff, company, settings):
    settings.RATE_LIMITS_ENABLED = False
    house = ListingFactory(company=company, listing_type="rent", status="available")  # no units
    leases = [
        LeaseFactory(listing=house, unit=None),
        LeaseFactory(listing=house, unit=None, start_date=date(2026, 3, 1), end_date=date(2027, 2, 28)),
        LeaseFactory(listing=house, unit=None, start_date=date(2026, 12, 31), end_date=date(2027, 12, 30)),
    ]

    statuses = _activate_at_once([client_for(staff) for _ in leases], leases)

    assert sorted(statuses) == [200, 409, 409]
    assert Lease.objects.filter(listing=house, status=LeaseStatus.ACTIVE).count() == 1
    house.refresh_from_db()
    assert house.status == "rented"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overlapping_active_whole_listing_leases(company):
    house = ListingFactory(company=company, listing_type="rent")
    LeaseFactory(listing=house, unit=None, status=LeaseStatus.ACTIVE)

    with pytest.raises(IntegrityError), transaction.atomic():
        LeaseFactory(
            listing=house,
            unit=None,
            status=LeaseStatus.ACTIVE,
            start_date=date(2026, 12, 31),
            end_date=date(2027, 1, 31),
        )
    # ended or terminated leases, and drafts, do not count
    LeaseFactory(listing=house, unit=None, status=LeaseStatus.ENDED)
    LeaseFactory(listing=house, unit=None, status=LeaseStatus.DRAFT)
    assert Lease.objects.filter(listing=house).count() == 3
