"""Deleting a company leaves nothing of it live: refused while it has running leases or
(once active) listings on the portal; a company still in onboarding is unpublished first."""

import pytest

from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.models import Company
from domus.organizations.tests.factories import CompanyFactory
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def company_url(company) -> str:
    return f"/api/v1/organizations/companies/{company.id}/"


def public_ids(api_client) -> set[str]:
    return {row["id"] for row in api_client.get("/api/v1/projects/").json()["results"]}


def test_an_active_company_with_live_leases_and_listings_is_not_deleted(admin_client, api_client):
    company = CompanyFactory()
    published = ListingFactory.create_batch(2, company=company)
    LeaseFactory(listing=published[0], status="active")
    LeaseFactory(listing=published[1], status="ended")  # over: blocks nothing

    response = admin_client.delete(company_url(company))

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "CONFLICT_ERROR"
    assert body["errors"] == {"leases": ["1 active lease"], "listings": ["2 published listings"]}
    assert "1 active lease and 2 published listings" in body["detail"]
    company.refresh_from_db()
    assert company.deleted_at is None
    assert public_ids(api_client) == {str(listing.id) for listing in published}


def test_an_active_company_deletes_once_nothing_is_live(admin_client):
    company = CompanyFactory()
    ListingFactory(company=company, is_published=False)

    assert admin_client.delete(company_url(company)).status_code == 204

    assert Company.all_objects.get(pk=company.pk).deleted_at is not None


def test_a_draft_company_is_unpublished_then_deleted(staff_a_client, company_a, api_client, audit_log):
    listings = ListingFactory.create_batch(2, company=company_a)
    other = ListingFactory()

    response = staff_a_client.delete(company_url(company_a))

    assert response.status_code == 204, response.content
    assert Company.all_objects.get(pk=company_a.pk).deleted_at is not None
    for listing in listings:
        listing.refresh_from_db()
        assert (listing.is_published, listing.published_at) == (False, None)
    assert public_ids(api_client) == {str(other.id)}
    assert audit_log.objects.filter(resource_id__in=[str(x.id) for x in listings], action="update").count() == 2


def test_a_draft_company_with_an_active_lease_is_not_deleted(staff_a_client, company_a):
    listing = ListingFactory(company=company_a)
    LeaseFactory(listing=listing, status="active")

    response = staff_a_client.delete(company_url(company_a))

    assert response.status_code == 409
    assert response.json()["errors"] == {"leases": ["1 active lease"]}
    company_a.refresh_from_db()
    listing.refresh_from_db()
    assert company_a.deleted_at is None
    assert listing.is_published  # the unpublishing rolled back with the refusal
