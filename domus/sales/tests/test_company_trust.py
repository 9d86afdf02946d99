"""A company that is deleted (or not active) takes no offers."""

import pytest
from django.utils import timezone

from domus.sales.models import Offer, OfferStatus
from domus.sales.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sales/offers/"


def test_no_offer_is_made_on_a_deleted_companys_listing(client_for, customer, listing, company):
    company.deleted_at = timezone.now()
    company.save()

    response = client_for(customer).post_json(URL, {"listing_id": str(listing.id), "amount": "91000"})

    assert response.status_code == 409, response.content
    assert "listing_id" in response.json()["errors"]
    assert not Offer.objects.exists()


def test_no_offer_is_accepted_for_a_suspended_company(client_for, staff, customer, listing, company):
    offer = OfferFactory(listing=listing, buyer=customer)
    company.status = "suspended"
    company.save()

    response = client_for(staff).post(f"{URL}{offer.id}/accept/")

    assert response.status_code == 409
    offer.refresh_from_db()
    listing.refresh_from_db()
    assert (offer.status, listing.status) == (OfferStatus.PENDING, "available")
