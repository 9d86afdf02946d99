"""Who sees which leases: tenants and owners their own, staff their companies', nobody another company's."""

import pytest

from domus.core.roles import Role
from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory


@pytest.fixture
def ours(listing, tenant):
    """A lease of our company: ``tenant`` rents it from the listing's owner."""
    return LeaseFactory(listing=listing, tenant=tenant)


@pytest.fixture
def theirs(db):
    """A lease of another company, with other people."""
    return LeaseFactory(listing=ListingFactory(company=CompanyFactory(), listing_type="rent"))


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _assert_sees_only(client, visible, hidden) -> None:
    assert _ids(client.get("/api/v1/leasing/leases/")) == {str(lease.id) for lease in visible}
    for lease in visible:
        assert client.get(f"/api/v1/leasing/leases/{lease.id}/").status_code == 200
    for lease in hidden:
        response = client.get(f"/api/v1/leasing/leases/{lease.id}/")
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND_ERROR"
        assert client.get(f"/api/v1/leasing/leases/{lease.id}/schedule/").status_code == 404


@pytest.mark.django_db
def test_a_tenant_sees_only_their_leases(client_for, tenant, ours, theirs, listing):
    someone_elses = LeaseFactory(listing=listing)  # same company, another tenant

    _assert_sees_only(client_for(tenant), visible=[ours], hidden=[theirs, someone_elses])


@pytest.mark.django_db
def test_an_owner_sees_only_their_leases(client_for, ours, theirs, company):
    not_theirs = LeaseFactory(listing=ListingFactory(company=company, listing_type="rent"))  # another owner

    _assert_sees_only(client_for(ours.owner), visible=[ours], hidden=[theirs, not_theirs])


@pytest.mark.django_db
def test_staff_see_their_companys_leases_only(client_for, staff, ours, theirs, listing):
    colleague_lease = LeaseFactory(listing=listing)

    _assert_sees_only(client_for(staff), visible=[ours, colleague_lease], hidden=[theirs])


@pytest.mark.django_db
def test_an_agent_of_the_company_sees_no_lease_they_are_not_party_to(client_for, company, ours, theirs):
    agent = MembershipFactory(company=company, role=Role.AGENT).user

    _assert_sees_only(client_for(agent), visible=[], hidden=[ours, theirs])


@pytest.mark.django_db
def test_staff_cannot_change_another_companys_lease(client_for, staff, theirs):
    client = client_for(staff)

    assert client.patch_json(f"/api/v1/leasing/leases/{theirs.id}/", {"grace_days": 1}).status_code == 404
    assert client.post(f"/api/v1/leasing/leases/{theirs.id}/activate/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.grace_days) == ("draft", 5)


@pytest.mark.django_db
def test_the_list_is_paginated(client_for, staff, listing):
    for _ in range(3):
        LeaseFactory(listing=listing)

    body = client_for(staff).get("/api/v1/leasing/leases/?page_size=2&page=2").json()

    assert (body["count"], body["page"], body["total_pages"], len(body["results"])) == (3, 2, 2, 1)
    assert body["previous"] is not None
    assert body["next"] is None


@pytest.mark.django_db
def test_a_platform_admin_sees_every_company(admin_client, ours, theirs):
    assert _ids(admin_client.get("/api/v1/leasing/leases/")) == {str(ours.id), str(theirs.id)}
