"""At most one accepted offer per listing (or unit): a partial unique index in the
database, proven with real threads on PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory, UnitFactory
from domus.sales.models import Offer, OfferStatus


def _offer(listing, amount: str, unit=None) -> Offer:
    return Offer.objects.create(
        company_id=listing.company_id, listing=listing, unit=unit, buyer=UserFactory(), amount=Decimal(amount)
    )


@pytest.mark.postgres
@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_threads_accepting_two_offers_on_one_listing_exactly_one_wins(client_for, settings):
    settings.RATE_LIMITS_ENABLED = False
    company = CompanyFactory()
    staff = MembershipFactory(company=company, role=Role.STAFF).user
    listing = ListingFactory(company=company)
    offers = [_offer(listing, "90000"), _offer(listing, "95000")]
    clients = [client_for(staff), client_for(staff)]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def accept(client, offer) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(client.post(f"/api/v1/sales/offers/{offer.id}/accept/").status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(clients, offers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    assert sorted(Offer.objects.filter(listing=listing).values_list("status", flat=True)) == [
        OfferStatus.ACCEPTED,
        OfferStatus.REJECTED,
    ]
    listing.refresh_from_db()
    assert listing.status == "under_offer"


@pytest.mark.django_db
def test_the_database_refuses_a_second_accepted_offer_per_listing_and_per_unit(company):
    listing = ListingFactory(company=company)
    first, second = _offer(listing, "1000"), _offer(listing, "2000")
    unit = UnitFactory(listing=listing)
    on_unit, other_on_unit = _offer(listing, "500", unit), _offer(listing, "600", unit)
    Offer.objects.filter(pk=first.pk).update(status=OfferStatus.ACCEPTED)
    Offer.objects.filter(pk=on_unit.pk).update(status=OfferStatus.ACCEPTED)  # a unit's own acceptance is allowed

    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=second.pk).update(status=OfferStatus.ACCEPTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=other_on_unit.pk).update(status=OfferStatus.ACCEPTED)

    assert Offer.objects.filter(status=OfferStatus.ACCEPTED).count() == 2
