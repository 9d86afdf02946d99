"""The Django real-estate backend with M-Pesa, as its clients use it: an agent logs in,
fills in their profile with flat fields, lists a property with its ``adress`` spelling,
a customer asks for a viewing, the agent confirms it with a ``PUT`` of the status, the
customer pays the booking fee by STK push with ``phone_number`` and starts a chat with
one ``user_id``; all on the original paths."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import respx
from django.apps import apps
from django.utils import timezone

from domus.accounts.tests.factories import DEFAULT_PASSWORD
from domus.finance.tests.conftest import FakeDaraja, callback

pytestmark = pytest.mark.django_db
Listing = apps.get_model("properties", "Listing")
Visit = apps.get_model("properties", "Visit")
Payment = apps.get_model("finance", "Payment")
Profile = apps.get_model("accounts", "Profile")

API = "/api/v1"
NOMINATIM = "https://geocoder.test"


@pytest.fixture(autouse=True)
def _outside_services(settings) -> None:
    settings.GEOCODE_NEW_LISTINGS = False
    settings.GOOGLE_MAPS_API_KEY = ""
    settings.GEOCODER_URL = NOMINATIM
    settings.MPESA_BASE_URL = "https://daraja.example.test"
    settings.MPESA_CONSUMER_KEY = "key"
    settings.MPESA_CONSUMER_SECRET = "secret"
    settings.MPESA_SHORTCODE = "174379"
    settings.MPESA_PASSKEY = "passkey"
    settings.MPESA_CALLBACK_URL = "https://domus.example.test/api/v1/properties/payments/mpesa/callback/"
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["127.0.0.1"]


def _login(api_client, user) -> dict[str, str]:
    """Log in as the original clients do (``/auth/token/`` with username and password)."""
    response = api_client.post_json(
        f"{API}/accounts/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


def _slot(days: int = 1) -> dict[str, str]:
    starts = (timezone.now() + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}


def _published_listing(api_client, agent_auth) -> dict:
    response = api_client.post(
        f"{API}/properties/",
        {
            "title": "Two-bedroom in Kilimani",
            "price": "45000",
            "listing_type": "rent",
            "adress": "12 Argwings Kodhek Road",
            "city": "Nairobi",
            "status": "available",
            "is_published": True,
        },
        content_type="application/json",
        **agent_auth,
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_the_agent_fills_in_the_profile_with_flat_fields(api_client, agent):
    auth = _login(api_client, agent)

    response = api_client.put(
        f"{API}/accounts/profile/update/",
        {"bio": "Lettings in Kilimani", "city": "Nairobi", "first_name": "Wanjiru"},
        content_type="application/json",
        **auth,
    )

    assert response.status_code == 200, response.content
    assert response.json()["profile"]["bio"] == "Lettings in Kilimani"
    assert response.json()["first_name"] == "Wanjiru"
    agent.refresh_from_db()
    assert (agent.first_name, agent.email) == ("Wanjiru", agent.email)  # the rest of the account is kept
    assert (agent.profile.bio, agent.profile.city) == ("Lettings in Kilimani", "Nairobi")


def test_a_profile_field_given_flat_and_nested_is_a_400(api_client, agent):
    auth = _login(api_client, agent)

    response = api_client.patch(
        f"{API}/accounts/profile/update/",
        {"bio": "flat", "profile": {"bio": "nested"}},
        content_type="application/json",
        **auth,
    )

    assert response.status_code == 400
    assert "bio" in response.json()["errors"]
    assert not Profile.objects.filter(user=agent).exists()


def test_the_agent_lists_a_property_with_adress_in_their_company(api_client, company, agent):
    listing = _published_listing(api_client, _login(api_client, agent))

    assert listing["address"] == "12 Argwings Kodhek Road"
    assert listing["company_id"] == str(company.pk)
    assert listing["agent_id"] == str(agent.pk)
    assert listing["currency"] == "USD"
    found = api_client.get(f"{API}/properties/", {"search": "Kilimani", "ordering": "-price"})
    assert [row["id"] for row in found.json()["results"]] == [listing["id"]]


@respx.mock
def test_geocode_takes_adress(api_client, agent):
    respx.get(f"{NOMINATIM}/search").mock(
        return_value=httpx.Response(200, json=[{"lat": "-1.29", "lon": "36.78", "display_name": "Kilimani, Nairobi"}])
    )

    response = api_client.post(
        f"{API}/properties/geocode/",
        {"adress": "12 Argwings Kodhek Road", "city": "Nairobi"},
        content_type="application/json",
        **_login(api_client, agent),
    )

    assert response.status_code == 200, response.content
    assert response.json()["latitude"] == pytest.approx(-1.29)


def test_visits_change_status_through_put_with_the_operations_rules(api_client, agent, customer):
    agent_auth, customer_auth = _login(api_client, agent), _login(api_client, customer)
    listing = _published_listing(api_client, agent_auth)
    first = api_client.post_json(
        f"{API}/properties/visits/", {"listing_id": listing["id"], **_slot(1)}, **customer_auth
    )
    second = api_client.post_json(
        f"{API}/properties/visits/", {"listing_id": listing["id"], **_slot(2)}, **customer_auth
    )
    assert first.status_code == second.status_code == 201, first.content
    first_id, second_id = first.json()["id"], second.json()["id"]

    by_customer = api_client.put(
        f"{API}/properties/visits/{first_id}/",
        {"status": "confirmed"},
        content_type="application/json",
        **customer_auth,
    )
    assert by_customer.status_code == 403
    assert Visit.objects.get(pk=first_id).status == "requested"

    confirmed = api_client.put(
        f"{API}/properties/visits/{first_id}/", {"status": "confirmed"}, content_type="application/json", **agent_auth
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    visit = Visit.objects.get(pk=first_id)
    assert visit.confirmed_at is not None
    assert visit.starts_at.isoformat() == _slot(1)["starts_at"]  # a status-only PUT keeps the slot

    cancelled = api_client.put(
        f"{API}/properties/visits/{second_id}/",
        {"status": "cancelled"},
        content_type="application/json",
        **customer_auth,
    )
    assert cancelled.json()["status"] == "cancelled"
    assert Visit.objects.get(pk=second_id).cancelled_at is not None

    back = api_client.put(
        f"{API}/properties/visits/{second_id}/", {"status": "confirmed"}, content_type="application/json", **agent_auth
    )
    assert back.status_code == 409
    assert "status" in back.json()["errors"]
    assert Visit.objects.get(pk=second_id).status == "cancelled"


def test_a_put_with_a_slot_and_no_status_still_needs_both_ends(api_client, agent, customer):
    listing = _published_listing(api_client, _login(api_client, agent))
    customer_auth = _login(api_client, customer)
    visit = api_client.post_json(
        f"{API}/properties/visits/", {"listing_id": listing["id"], **_slot(1)}, **customer_auth
    )

    response = api_client.put(
        f"{API}/properties/visits/{visit.json()['id']}/",
        {"note": "Ring twice"},
        content_type="application/json",
        **customer_auth,
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"starts_at", "ends_at"}


def test_the_customer_pays_the_booking_fee_with_phone_number(api_client, agent, customer):
    listing = _published_listing(api_client, _login(api_client, agent))
    customer_auth = _login(api_client, customer)

    with respx.mock(assert_all_called=False) as router:
        daraja = FakeDaraja(router)
        started = api_client.post(
            f"{API}/properties/payments/mpesa/stk/{listing['id']}/",
            {"phone_number": "0712345678", "amount": "2500"},
            content_type="application/json",
            **customer_auth,
        )
        assert started.status_code == 201, started.content
        assert str(daraja.last_push()["PhoneNumber"]) == "254712345678"
        paid = api_client.post_json(f"{API}/properties/payments/mpesa/callback/", callback("ws_CO_1", amount=2500))

    assert paid.status_code == 200
    payment = Payment.objects.get()
    assert (payment.purpose, payment.amount, payment.phone, payment.status) == (
        "booking_fee",
        Decimal("2500.00"),
        "254712345678",
        "paid",
    )
    status = api_client.get(f"{API}/properties/payments/status/{payment.pk}/", **customer_auth)
    assert status.json()["status"] == "paid"
    assert status.json()["mpesa_receipt"] == "QKJ1ABC2DE"


def _owners_listing(**fields):
    """A listing its owner put up without a company (as the original backend allowed)."""
    from domus.properties.tests.factories import ListingFactory

    return ListingFactory(company=None, currency="KES", **fields)


def test_a_booking_fee_for_a_listing_without_a_company_is_collected_by_the_platforms_company(
    api_client, company, customer
):
    listing = _owners_listing()
    customer_auth = _login(api_client, customer)

    with respx.mock(assert_all_called=False) as router:
        FakeDaraja(router)
        started = api_client.post_json(
            f"{API}/properties/payments/mpesa/stk/{listing.pk}/",
            {"phone_number": "0712345678", "amount": "1000"},
            **customer_auth,
        )
        paid = api_client.post_json(f"{API}/properties/payments/mpesa/callback/", callback("ws_CO_1", amount=1000))

    assert started.status_code == 201, started.content
    assert started.json()["company_id"] == str(company.pk)
    assert paid.status_code == 200
    payment = Payment.objects.get()
    assert (payment.company_id, payment.listing_id, payment.status) == (company.pk, listing.pk, "paid")


def test_without_any_company_a_listing_payment_names_the_listing(api_client, customer):
    listing = _owners_listing()

    response = api_client.post_json(
        f"{API}/properties/payments/mpesa/stk/{listing.pk}/",
        {"phone_number": "0712345678", "amount": "1000"},
        **_login(api_client, customer),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"listing_id"}
    assert not Payment.objects.exists()


def test_the_customer_starts_a_chat_with_one_user_id(api_client, agent, customer):
    listing = _published_listing(api_client, _login(api_client, agent))
    customer_auth = _login(api_client, customer)

    started = api_client.post_json(
        f"{API}/communications/conversations/start_conversation/",
        {"user_id": str(agent.pk), "listing_id": listing["id"], "message": "Is it still free?"},
        **customer_auth,
    )
    both = api_client.post_json(
        f"{API}/communications/conversations/start_conversation/",
        {"user_id": str(agent.pk), "participant_ids": [str(agent.pk)]},
        **customer_auth,
    )

    assert started.status_code == 201, started.content
    assert sorted(started.json()["member_ids"]) == sorted([str(agent.pk), str(customer.pk)])
    assert started.json()["listing_id"] == listing["id"]
    assert both.status_code == 400
    assert "user_id" in both.json()["errors"]
