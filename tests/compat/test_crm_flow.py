"""The FastAPI real-estate CRM, as its clients use it: an agent logs in, records a
client with ``first_name``/``last_name``, ``client_type`` and ``preferred_locations``,
a property with ``square_feet`` and ``status: active``, and a transaction on it with
``property_id``, ``transaction_type`` and the CRM's statuses; on its paths."""

from decimal import Decimal

import pytest
from django.apps import apps

from domus.accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
Client = apps.get_model("crm", "Client")
Listing = apps.get_model("properties", "Listing")
Deal = apps.get_model("sales", "Deal")

API = "/api/v1"


@pytest.fixture(autouse=True)
def _no_geocoding(settings) -> None:
    settings.GEOCODE_NEW_LISTINGS = False


def _login(api_client, user) -> dict[str, str]:
    response = api_client.post_json(f"{API}/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


def _property(api_client, auth, **extra) -> dict:
    body = {"title": "Ocean View Condo", "price": "450000", "square_feet": 1200, "status": "active", **extra}
    response = api_client.post_json(f"{API}/properties", body, **auth)
    assert response.status_code == 201, response.content
    return response.json()


def test_the_agent_records_and_finds_a_client_in_the_crms_words(api_client, company, agent):
    auth = _login(api_client, agent)

    created = api_client.post_json(
        f"{API}/clients",
        {
            "first_name": "Grace",
            "last_name": "Mwangi",
            "email": "grace@example.test",
            "client_type": "individual",
            "preferred_locations": ["Westlands", "Karen"],
            "budget_max": "500000",
        },
        **auth,
    )
    corporate = api_client.post_json(f"{API}/clients", {"first_name": "Acme", "client_type": "corporate"}, **auth)

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["kind"], body["locations"]) == ("Grace Mwangi", "person", ["Westlands", "Karen"])
    assert body["company_id"] == str(company.pk)
    assert body["assigned_agent_id"] == str(agent.pk)
    assert corporate.json()["kind"] == "company"
    people = api_client.get(f"{API}/clients", {"client_type": "individual"}, **auth)
    assert people.status_code == 200, people.content
    assert [row["id"] for row in people.json()["results"]] == [body["id"]]

    moved = api_client.patch_json(f"{API}/clients/{body['id']}", {"preferred_locations": ["Kilimani"]}, **auth)
    assert moved.status_code == 200, moved.content
    assert Client.objects.get(pk=body["id"]).locations == ["Kilimani"]


def test_an_unknown_client_type_is_a_400_naming_it(api_client, agent):
    response = api_client.post_json(
        f"{API}/clients", {"first_name": "Grace", "client_type": "astronaut"}, **_login(api_client, agent)
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"client_type"}
    assert not Client.objects.exists()


def test_a_property_in_square_feet_and_active_is_published_in_square_metres(api_client, company, agent):
    listing = _property(api_client, _login(api_client, agent))

    assert listing["area_m2"] == "111.48"  # 1200 sq ft
    assert (listing["status"], listing["is_published"]) == ("available", True)
    assert listing["company_id"] == str(company.pk)
    row = Listing.objects.get(pk=listing["id"])
    assert (row.area_m2, row.status, row.is_published) == (Decimal("111.48"), "available", True)
    public = api_client.get(f"{API}/properties", {"search": "Ocean"})
    assert [item["id"] for item in public.json()["results"]] == [listing["id"]]


def test_an_address_led_property_without_a_title_is_titled_by_its_address(api_client, agent):
    auth = _login(api_client, agent)

    response = api_client.post_json(
        f"{API}/properties",
        {"address": "123 Ocean Drive", "city": "Mombasa", "price": "450000", "square_feet": 900, "status": "active"},
        **auth,
    )

    assert response.status_code == 201, response.content
    assert response.json()["title"] == "123 Ocean Drive, Mombasa"
    assert Listing.objects.get(pk=response.json()["id"]).title == "123 Ocean Drive, Mombasa"


def test_a_property_in_square_feet_and_square_metres_at_once_is_a_400(api_client, agent):
    response = api_client.post_json(
        f"{API}/properties",
        {"title": "Condo", "price": "1", "square_feet": 100, "area_m2": "9.29"},
        **_login(api_client, agent),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"square_feet"}
    assert not Listing.objects.exists()


def test_a_transaction_moves_through_the_crms_statuses(api_client, agent, staff):
    auth = _login(api_client, agent)
    listing = _property(api_client, auth)

    created = api_client.post_json(
        f"{API}/transactions",
        {"property_id": listing["id"], "transaction_type": "sale", "status": "pending", "amount": "440000"},
        **auth,
    )
    assert created.status_code == 201, created.content
    deal_id = created.json()["id"]
    assert (created.json()["listing_id"], created.json()["status"]) == (listing["id"], "lead")

    in_progress = api_client.patch_json(f"{API}/transactions/{deal_id}/status", {"status": "in_progress"}, **auth)
    assert in_progress.status_code == 200, in_progress.content
    assert in_progress.json()["status"] == "offer"
    cancelled = api_client.patch_json(
        f"{API}/transactions/{deal_id}/status", {"status": "cancelled", "note": "Buyer walked"}, **auth
    )
    assert cancelled.json()["status"] == "closed_lost"
    assert [(h["from_status"], h["to_status"]) for h in cancelled.json()["history"]] == [
        ("", "lead"),
        ("lead", "offer"),
        ("offer", "closed_lost"),
    ]
    assert Deal.objects.get(pk=deal_id).status == "closed_lost"
    found = api_client.get(f"{API}/transactions", {"status": "cancelled"}, **_login(api_client, staff))
    assert [row["id"] for row in found.json()["results"]] == [deal_id]


def test_a_sale_on_a_listing_for_rent_is_a_400(api_client, agent):
    auth = _login(api_client, agent)
    listing = _property(api_client, auth, listing_type="rent")

    response = api_client.post_json(
        f"{API}/transactions", {"property_id": listing["id"], "transaction_type": "purchase"}, **auth
    )

    assert response.status_code == 400
    assert "listing_type" in response.json()["errors"]
    assert not Deal.objects.exists()
