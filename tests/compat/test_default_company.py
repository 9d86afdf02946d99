"""One company by default: a create that needs a company takes the caller's only one
(a platform admin's: the platform's default company), a listing made by an agent has that
agent, and the login answer and ``/accounts/me/`` list the caller's companies."""

import pytest
from django.apps import apps

from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.roles import Role
from domus.organizations.models import Membership
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db
Listing = apps.get_model("properties", "Listing")
Invoice = apps.get_model("finance", "Invoice")


def test_an_agents_listing_takes_their_only_company_its_currency_and_them(client_for, company, agent):
    response = client_for(agent).post_json("/api/v1/properties/", {"title": "Garden flat", "price": "95000"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["company_id"] == str(company.pk)
    assert body["agent_id"] == str(agent.pk)
    assert body["currency"] == "USD"
    listing = Listing.objects.get(pk=body["id"])
    assert (listing.company_id, listing.agent_id, listing.currency) == (company.pk, agent.pk, "USD")


def test_a_staff_members_listing_takes_their_only_company_and_the_agent_named(client_for, company, staff, agent):
    response = client_for(staff).post_json(
        "/api/v1/properties/", {"title": "Loft", "price": "1000", "agent_id": str(agent.pk)}
    )

    assert response.status_code == 201, response.content
    assert response.json()["company_id"] == str(company.pk)
    assert response.json()["agent_id"] == str(agent.pk)
    assert response.json()["currency"] == "USD"


def test_a_member_of_two_companies_gets_no_company_unless_named(client_for, company, other_company, agent):
    MembershipFactory(company=other_company, role=Role.AGENT, user=agent)
    client = client_for(agent)

    unnamed = client.post_json("/api/v1/properties/", {"title": "Loft", "price": "1000"})
    named = client.post_json(
        "/api/v1/properties/", {"title": "Villa", "price": "1000", "company_id": str(other_company.pk)}
    )

    assert unnamed.status_code == 201
    assert unnamed.json()["company_id"] is None
    assert unnamed.json()["currency"] == "KES"
    assert named.status_code == 201
    assert named.json()["company_id"] == str(other_company.pk)
    assert named.json()["currency"] == "EUR"


def test_an_invitation_is_not_a_company(client_for, company):
    invited = MembershipFactory(
        company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT), status=Membership.Status.INVITED
    ).user

    response = client_for(invited).post_json("/api/v1/properties/", {"title": "Loft", "price": "1000"})

    assert response.status_code == 201
    assert response.json()["company_id"] is None


def test_an_admins_listing_takes_the_only_active_company(admin_client, company):
    response = admin_client.post_json("/api/v1/properties/", {"title": "Loft", "price": "1000"})

    assert response.status_code == 201
    assert response.json()["company_id"] == str(company.pk)


def test_an_admins_listing_takes_the_configured_default_company(settings, admin_client, company, other_company):
    unset = admin_client.post_json("/api/v1/properties/", {"title": "Loft", "price": "1000"})
    settings.DEFAULT_COMPANY_SLUG = other_company.slug
    configured = admin_client.post_json("/api/v1/properties/", {"title": "Villa", "price": "1000"})

    assert unset.json()["company_id"] is None  # two active companies, none configured
    assert configured.json()["company_id"] == str(other_company.pk)
    assert configured.json()["currency"] == "EUR"


def test_an_invoice_takes_the_staff_members_only_company(client_for, company, staff, customer):
    MembershipFactory(company=company, role=Role.CUSTOMER, user=customer)
    response = client_for(staff).post_json(
        "/api/v1/finance/invoices/",
        {
            "recipient_id": str(customer.pk),
            "due_date": "2030-01-31",
            "lines": [{"description": "Rent", "unit_price": "500.00"}],
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["company_id"] == str(company.pk)
    assert Invoice.objects.get().company_id == company.pk


def test_an_invoice_without_a_company_for_a_member_of_two_is_a_400(client_for, company, other_company, staff):
    MembershipFactory(company=other_company, role=Role.STAFF, user=staff)
    customer = UserFactory(role=Role.CUSTOMER)
    response = client_for(staff).post_json(
        "/api/v1/finance/invoices/",
        {
            "recipient_id": str(customer.pk),
            "due_date": "2030-01-31",
            "lines": [{"description": "Rent", "unit_price": "5"}],
        },
    )

    assert response.status_code == 400
    assert "company_id" in response.json()["errors"]
    assert not Invoice.objects.exists()


def test_login_and_me_list_the_callers_companies_with_roles(api_client, client_for, company, other_company, agent):
    MembershipFactory(company=other_company, role=Role.STAFF, user=agent)
    CompanyFactory(name="Gamma Lettings")  # not theirs
    expected = [
        {"id": str(company.pk), "name": "Alpha Homes", "role": "agent"},
        {"id": str(other_company.pk), "name": "Beta Estates", "role": "staff"},
    ]

    login = api_client.post_json(
        "/api/v1/accounts/auth/token/", {"username": agent.username, "password": DEFAULT_PASSWORD}
    )
    me = client_for(agent).get("/api/v1/accounts/me/")

    assert login.status_code == 200, login.content
    assert login.json()["companies"] == expected
    assert me.json()["companies"] == expected


def test_a_user_without_a_company_lists_none(api_client, customer):
    login = api_client.post_json(
        "/api/v1/accounts/auth/token/", {"username": customer.username, "password": DEFAULT_PASSWORD}
    )

    assert login.json()["companies"] == []
