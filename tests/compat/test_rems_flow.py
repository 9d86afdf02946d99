"""The DRF real-estate management system, as its clients use it: staff log in with
e-mail and password, update their profile with a partial ``PUT``, create a project and
its units, draw a contract for a buyer from its body, invoice a tenant with the flat body
and send the invoice; on its paths."""

from decimal import Decimal

import pytest
from django.apps import apps

from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import ClientFactory
from domus.properties.tests.factories import ListingFactory
from domus.sales.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db
Invoice = apps.get_model("finance", "Invoice")

API = "/api/v1"


def _login(api_client, user) -> dict[str, str]:
    response = api_client.post_json(f"{API}/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


@pytest.fixture
def tenant(company):
    """A tenant the company knows (one of its CRM clients)."""
    user = UserFactory(role=Role.TENANT)
    ClientFactory(company=company, user=user)
    return user


def test_a_partial_put_of_the_profile_changes_only_what_is_sent(api_client, staff):
    auth = _login(api_client, staff)
    before = api_client.get(f"{API}/accounts/profile/", **auth).json()

    response = api_client.put(
        f"{API}/accounts/profile/", {"phone": "+254711000111"}, content_type="application/json", **auth
    )

    assert response.status_code == 200, response.content
    after = response.json()
    assert after["phone"] == "+254711000111"
    assert {k: v for k, v in after.items() if k != "phone"} == {k: v for k, v in before.items() if k != "phone"}
    staff.refresh_from_db()
    assert staff.phone == "+254711000111"


def test_a_full_put_of_the_profile_still_replaces(api_client, staff):
    auth = _login(api_client, staff)

    response = api_client.put(
        f"{API}/accounts/profile/",
        {"email": staff.email, "username": staff.username, "first_name": "Amina"},
        content_type="application/json",
        **auth,
    )

    assert response.status_code == 200
    staff.refresh_from_db()
    assert (staff.first_name, staff.last_name, staff.phone) == ("Amina", "", "")


def test_staff_create_a_project_with_units_in_their_company(api_client, company, staff):
    auth = _login(api_client, staff)

    project = api_client.post_json(f"{API}/projects/", {"name": "Riverside Court", "price": "0"}, **auth)
    assert project.status_code == 201, project.content
    project_id = project.json()["id"]
    unit = api_client.post_json(
        f"{API}/projects/{project_id}/units/", {"unit_number": "A1", "bedrooms": 2, "price": "30000"}, **auth
    )
    units = api_client.get(f"{API}/projects/{project_id}/units/", **auth)

    assert project.json()["title"] == "Riverside Court"
    assert project.json()["company_id"] == str(company.pk)
    assert project.json()["currency"] == "USD"
    assert unit.status_code == 201, unit.content
    assert [row["unit_number"] for row in units.json()["results"]] == ["A1"]


def test_staff_invoice_a_tenant_with_the_flat_body_and_send_it(
    api_client, company, staff, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    auth = _login(api_client, staff)

    created = api_client.post_json(
        f"{API}/finance/invoices/",
        {"tenant": str(tenant.pk), "amount": "30000.00", "due_date": "2030-02-05", "description": "Rent February"},
        **auth,
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["company_id"], body["recipient_id"], body["status"]) == (str(company.pk), str(tenant.pk), "draft")
    assert body["total"] == "30000.00"
    assert [(line["description"], line["amount"]) for line in body["lines"]] == [("Rent February", "30000.00")]
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.lines.count()) == (Decimal("30000.00"), 1)

    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post_json(f"{API}/finance/invoices/{invoice.pk}/send/", {}, **auth)
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "sent"
    assert [message.to for message in mailoutbox] == [[tenant.email]]
    listed = api_client.get(f"{API}/finance/invoices/", {"status": "sent", "recipient_id": str(tenant.pk)}, **auth)
    assert [row["id"] for row in listed.json()["results"]] == [str(invoice.pk)]


def test_a_flat_invoice_without_an_amount_names_the_line_and_stores_nothing(api_client, staff, tenant):
    response = api_client.post_json(
        f"{API}/finance/invoices/",
        {"tenant": str(tenant.pk), "due_date": "2030-02-05", "description": "Rent"},
        **_login(api_client, staff),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"lines.0.unit_price"}
    assert not Invoice.objects.exists()


def test_a_tenant_cannot_invoice(api_client, tenant):
    response = api_client.post_json(
        f"{API}/finance/invoices/",
        {"tenant": str(tenant.pk), "amount": "1.00", "due_date": "2030-02-05", "description": "Rent"},
        **_login(api_client, tenant),
    )

    assert response.status_code == 403
    assert not Invoice.objects.exists()


Contract = apps.get_model("sales", "Contract")
Offer = apps.get_model("sales", "Offer")


@pytest.fixture
def listing(company, staff):
    return ListingFactory(company=company, currency="USD", price=Decimal("250000.00"))


def test_staff_draw_a_contract_from_the_rems_body(api_client, company, staff, tenant, listing):
    competing = OfferFactory(listing=listing, currency="USD")
    auth = _login(api_client, staff)

    response = api_client.post_json(
        f"{API}/sales/contracts/",
        {"property": str(listing.pk), "buyer": str(tenant.pk), "price": "240000.00", "start_date": "2030-03-01"},
        **auth,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["listing_id"], body["price"], body["currency"], body["start_date"], body["status"]) == (
        str(listing.pk),
        "240000.00",
        "USD",
        "2030-03-01",
        "draft",
    )
    assert body["kind"] == "sale"
    offer = Offer.objects.get(pk=body["offer_id"])
    assert (offer.status, offer.amount, offer.buyer_id, offer.created_by_id) == (
        "accepted",
        Decimal("240000.00"),
        tenant.pk,
        staff.pk,
    )
    assert offer.client.user_id == tenant.pk  # the company's client record of the tenant
    assert [party["role"] for party in body["parties"]] == ["buyer", "seller"]
    listing.refresh_from_db()
    assert listing.status == "under_offer"
    competing.refresh_from_db()
    assert competing.status == "rejected"
    listed = api_client.get(f"{API}/sales/contracts/", {"listing_id": str(listing.pk)}, **auth)
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    # the listing is under offer now: a second contract on it is refused, nothing stored
    again = api_client.post_json(
        f"{API}/sales/contracts/",
        {"property": str(listing.pk), "buyer": str(tenant.pk), "price": "240000.00"},
        **auth,
    )
    assert again.status_code == 409
    assert Contract.objects.count() == 1


def test_a_rems_contract_for_a_user_who_is_not_a_client(api_client, staff, listing):
    buyer = UserFactory(role=Role.CUSTOMER)

    response = api_client.post_json(
        f"{API}/sales/contracts/",
        {"offer_id": None, "property": str(listing.pk), "buyer": str(buyer.pk), "price": "100.00"},
        **_login(api_client, staff),
    )

    assert response.status_code == 201, response.content
    offer = Offer.objects.get()
    assert (offer.buyer_id, offer.client_id) == (buyer.pk, None)
    assert response.json()["parties"][0]["email"] == buyer.email


@pytest.mark.parametrize(
    ("body", "fields", "status"),
    [
        ({"buyer": "00000000-0000-0000-0000-000000000001", "price": "1.00"}, {"offer_id"}, 400),
        ({"property": "LISTING", "price": "1.00"}, {"buyer_id"}, 400),
        ({"property": "LISTING", "buyer": "BUYER"}, {"price"}, 400),
        # an id that names nobody is a 404 naming the field, as in a path
        ({"property": "LISTING", "buyer": "00000000-0000-0000-0000-000000000001", "price": "1.00"}, {"buyer_id"}, 404),
        ({"property": "00000000-0000-0000-0000-000000000001", "buyer": "BUYER", "price": "1.00"}, {"listing_id"}, 400),
        ({"offer_id": "00000000-0000-0000-0000-000000000001", "property": "LISTING"}, {"listing_id"}, 400),
    ],
)
def test_an_incomplete_rems_contract_body_names_the_fields_and_stores_nothing(
    api_client, staff, tenant, listing, body, fields, status
):
    sent = {k: {"LISTING": str(listing.pk), "BUYER": str(tenant.pk)}.get(v, v) for k, v in body.items()}

    response = api_client.post_json(f"{API}/sales/contracts/", sent, **_login(api_client, staff))

    assert response.status_code == status, response.content
    assert set(response.json()["errors"]) == fields
    assert not Offer.objects.exists()
    assert not Contract.objects.exists()


def test_a_tenant_cannot_draw_a_rems_contract(api_client, tenant, listing):
    response = api_client.post_json(
        f"{API}/sales/contracts/",
        {"property": str(listing.pk), "buyer": str(tenant.pk), "price": "1.00"},
        **_login(api_client, tenant),
    )

    assert response.status_code == 403
    assert not Offer.objects.exists()


Company = apps.get_model("organizations", "Company")
Branch = apps.get_model("organizations", "Branch")


def test_a_company_is_onboarded_to_active_on_its_paths(api_client, admin_user):
    owner = UserFactory(role=Role.OWNER)
    auth = _login(api_client, owner)
    admin = _login(api_client, admin_user)

    created = api_client.post_json(
        f"{API}/companies/",
        {
            "name": "Sunset Realty",
            "legal_name": "Sunset Realty Ltd",
            "registration_number": "PVT-2030-1",
            "email": "office@sunset.example.test",
            "phone": "+254711000222",
            "address": "5 Riverside Drive",
            "city": "Nairobi",
            "country": "KE",
        },
        **auth,
    )
    assert created.status_code == 201, created.content
    company_id = created.json()["id"]
    steps = [
        api_client.post_json(f"{API}/companies/{company_id}/onboard/", {}, **who).json().get("status")
        for who in (auth, admin, auth)
    ]

    assert steps == ["submitted", "verified", "active"]
    branch = Branch.objects.get(company_id=company_id)
    assert (branch.code, branch.address, branch.city, branch.is_headquarters) == (
        "HQ",
        "5 Riverside Drive",
        "Nairobi",
        True,
    )
    assert Company.objects.get(pk=company_id).status == "active"
