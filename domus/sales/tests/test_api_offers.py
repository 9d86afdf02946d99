from datetime import timedelta

import pytest
from django.utils import timezone

from domus.core.events import subscribe
from domus.properties.tests.factories import ListingFactory, UnitFactory
from domus.sales import services
from domus.sales.models import Offer, OfferStatus
from domus.sales.tests.factories import OfferFactory

URL = "/api/v1/sales/offers/"
received: list[dict] = []


def remember(*, event: str, payload: dict) -> None:
    received.append({"event": event, **payload})


@pytest.fixture
def offer_events() -> list[dict]:
    for name in (services.OFFER_RECEIVED, services.OFFER_ACCEPTED, services.OFFER_DECLINED, services.OFFER_EXPIRED):
        subscribe(name)(remember)
    received.clear()
    return received


def test_a_customer_offers_and_the_listing_agent_hears_of_it(
    client_for, customer, listing, agent, offer_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(customer).post_json(URL, {"listing_id": str(listing.id), "amount": "91000.5"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["currency"], body["buyer_id"], body["made_by"], body["status"]) == (
        "91000.50",
        "KES",
        str(customer.id),
        "buyer",
        "pending",
    )
    assert offer_events == [
        {
            "event": "offer.received",
            "id": body["id"],
            "company_id": str(listing.company_id),
            "actor_id": str(customer.id),
            "recipient_ids": sorted([str(agent.id), str(listing.owner_id)]),
            "status": "pending",
            "amount": "91000.50",
            "currency": "KES",
        }
    ]


@pytest.mark.parametrize(
    ("change", "status"),
    [({"amount": "0"}, 400), ({"amount": "-5"}, 400), ({"expires_at": "2000-01-01T00:00:00Z"}, 400)],
)
def test_bad_offers_are_refused(client_for, customer, listing, change, status):
    response = client_for(customer).post_json(URL, {"listing_id": str(listing.id), "amount": "100", **change})

    assert response.status_code == status
    assert not Offer.objects.exists()


def test_no_offers_on_a_listing_that_is_not_available(client_for, customer, company):
    sold = ListingFactory(company=company, status="sold")

    response = client_for(customer).post_json(URL, {"listing_id": str(sold.id), "amount": "100"})

    assert response.status_code == 409
    assert not Offer.objects.exists()


def test_an_agent_must_name_the_client_they_offer_for(client_for, agent, listing):
    response = client_for(agent).post_json(URL, {"listing_id": str(listing.id), "amount": "100"})

    assert response.status_code == 400
    assert "client_id" in response.json()["errors"]


def test_accepting_declines_the_others_and_puts_the_listing_under_offer(
    client_for, staff, listing, offer_events, django_capture_on_commit_callbacks, audit_log
):
    winner, loser = OfferFactory(listing=listing), OfferFactory(listing=listing, amount="80000")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(f"{URL}{winner.id}/accept/")

    assert response.status_code == 200, response.content
    loser.refresh_from_db()
    listing.refresh_from_db()
    assert (loser.status, listing.status) == (OfferStatus.REJECTED, "under_offer")
    declined = [e for e in offer_events if e["event"] == "offer.declined"]
    assert declined == [
        {
            "event": "offer.declined",
            "id": str(loser.id),
            "company_id": str(listing.company_id),
            "actor_id": str(staff.id),
            "recipient_ids": [str(loser.buyer_id)],
            "status": "rejected",
            "amount": "80000.00",
            "currency": loser.currency,
            "reason": "another offer accepted",
        }
    ]
    assert audit_log.objects.filter(resource_id=str(winner.id), action="accept").exists()
    assert client_for(staff).post(f"{URL}{loser.id}/accept/").status_code == 409


def test_unit_offers_are_accepted_per_unit(client_for, staff, listing):
    unit_a, unit_b = UnitFactory(listing=listing), UnitFactory(listing=listing)
    on_a, on_b = OfferFactory(listing=listing, unit=unit_a), OfferFactory(listing=listing, unit=unit_b)
    api = client_for(staff)

    assert api.post(f"{URL}{on_a.id}/accept/").status_code == 200
    assert api.post(f"{URL}{on_b.id}/accept/").status_code == 200
    unit_a.refresh_from_db()
    listing.refresh_from_db()
    assert (unit_a.status, listing.status) == ("reserved", "available")


def test_a_listing_is_never_promised_whole_and_by_unit_at_once(client_for, staff, listing):
    unit_a, unit_b = UnitFactory(listing=listing), UnitFactory(listing=listing)
    on_unit_a, on_unit_b = OfferFactory(listing=listing, unit=unit_a), OfferFactory(listing=listing, unit=unit_b)
    whole = OfferFactory(listing=listing)
    api = client_for(staff)

    assert api.post(f"{URL}{on_unit_a.id}/accept/").status_code == 200
    refused = api.post(f"{URL}{whole.id}/accept/")

    assert refused.status_code == 409
    assert refused.json()["code"] == "CONFLICT_ERROR"
    whole.refresh_from_db()
    listing.refresh_from_db()
    assert (whole.status, listing.status) == (OfferStatus.PENDING, "available")
    assert api.post(f"{URL}{on_unit_b.id}/accept/").status_code == 200  # other units stay open


def test_a_listing_under_offer_takes_no_unit_offers(client_for, staff, customer, listing):
    unit = UnitFactory(listing=listing)
    on_unit, whole = OfferFactory(listing=listing, unit=unit), OfferFactory(listing=listing)
    api = client_for(staff)

    assert api.post(f"{URL}{whole.id}/accept/").status_code == 200
    on_unit.refresh_from_db()
    assert on_unit.status == OfferStatus.REJECTED  # declined as a competing offer
    body = {"listing_id": str(listing.id), "unit_id": str(unit.id), "amount": "1000"}
    late = client_for(customer).post_json(URL, body)

    assert late.status_code == 409
    assert "listing_id" in late.json()["errors"]
    unit.refresh_from_db()
    assert unit.status == "available"


def test_the_buyer_cannot_accept_their_own_offer_nor_can_strangers(client_for, customer, other_staff, listing):
    offer = OfferFactory(listing=listing, buyer=customer)

    assert client_for(customer).post(f"{URL}{offer.id}/accept/").status_code == 403
    assert client_for(other_staff).post(f"{URL}{offer.id}/accept/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_counter_chain_and_who_answers_it(client_for, customer, agent, listing):
    offer = OfferFactory(listing=listing, buyer=customer)
    counter = client_for(agent).post_json(f"{URL}{offer.id}/counter/", {"amount": "99000"}).json()

    assert client_for(agent).post(f"{URL}{counter['id']}/accept/").status_code == 403  # the seller made it
    again = client_for(customer).post_json(f"{URL}{counter['id']}/counter/", {"amount": "97000"})
    chain = client_for(customer).get(f"{URL}{again.json()['id']}/chain/").json()

    assert [(o["made_by"], o["amount"], o["status"]) for o in chain] == [
        ("buyer", "90000.00", "countered"),
        ("seller", "99000.00", "countered"),
        ("buyer", "97000.00", "pending"),
    ]
    assert client_for(agent).post(f"{URL}{offer.id}/accept/").status_code == 409  # already countered


def test_withdraw_and_reject(client_for, customer, staff, listing):
    first, second = OfferFactory(listing=listing, buyer=customer), OfferFactory(listing=listing)

    assert client_for(staff).post(f"{URL}{first.id}/withdraw/").status_code == 403
    assert client_for(customer).post(f"{URL}{first.id}/withdraw/").json()["status"] == "withdrawn"
    assert client_for(staff).post(f"{URL}{second.id}/reject/").json()["status"] == "rejected"


def test_the_expiry_job_expires_due_offers_only(listing, offer_events, django_capture_on_commit_callbacks):
    due = OfferFactory(listing=listing, expires_at=timezone.now() + timedelta(hours=1))
    later = OfferFactory(listing=listing, expires_at=timezone.now() + timedelta(days=3))
    Offer.objects.filter(pk=due.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    from domus.sales.tasks import offers_expire

    with django_capture_on_commit_callbacks(execute=True):
        assert offers_expire.delay().get() == 1

    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (OfferStatus.EXPIRED, OfferStatus.PENDING)
    assert [e["event"] for e in offer_events] == ["offer.expired"]


def test_an_expired_offer_cannot_be_accepted(client_for, staff, listing):
    offer = OfferFactory(listing=listing)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client_for(staff).post(f"{URL}{offer.id}/accept/").status_code == 409


def test_offer_list_is_scoped_and_query_count_pinned(
    client_for, customer, staff, other_staff, listing, other_company, django_assert_num_queries
):
    OfferFactory(listing=listing, buyer=customer)
    OfferFactory(listing=listing)
    OfferFactory(listing=ListingFactory(company=other_company))

    assert client_for(customer).get(URL).json()["count"] == 1
    assert client_for(other_staff).get(URL).json()["count"] == 1
    api = client_for(staff)
    with django_assert_num_queries(3):
        assert api.get(URL).json()["count"] == 2


def test_an_offer_retried_with_the_same_idempotency_key_is_made_once(client_for, customer, listing):
    api = client_for(customer)
    body = {"listing_id": str(listing.id), "amount": "90000"}

    first = api.post_json(URL, body, headers={"Idempotency-Key": "offer-1"})
    again = api.post_json(URL, body, headers={"Idempotency-Key": "offer-1"})

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Offer.objects.count() == 1


def test_owners_do_not_offer_on_their_own_listing(client_for, listing):
    response = client_for(listing.owner).post_json(URL, {"listing_id": str(listing.id), "amount": "100"})

    assert response.status_code == 400
    assert not Offer.objects.exists()


def test_an_agent_records_an_offer_for_a_client_and_answers_the_counter_for_them(
    client_for, agent, agent2, staff, customer, company, listing
):
    from domus.crm.tests.factories import ClientFactory

    client = ClientFactory(company=company, user=customer, assigned_agent=agent2)
    made = client_for(agent2).post_json(
        URL, {"listing_id": str(listing.id), "amount": "85000", "client_id": str(client.id)}
    )
    assert made.status_code == 201, made.content
    assert (made.json()["client_id"], made.json()["buyer_id"]) == (str(client.id), str(customer.id))

    counter = client_for(staff).post_json(f"{URL}{made.json()['id']}/counter/", {"amount": "95000"}).json()
    accepted = client_for(agent2).post(f"{URL}{counter['id']}/accept/")

    assert accepted.status_code == 200
    assert client_for(customer).get(f"{URL}{counter['id']}/").json()["status"] == "accepted"


def test_no_acceptance_once_the_listing_is_gone(client_for, staff, listing):
    offer = OfferFactory(listing=listing)
    listing.status = "archived"
    listing.save()

    response = client_for(staff).post(f"{URL}{offer.id}/accept/")

    assert response.status_code == 409
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_an_offer_is_in_the_listing_currency(client_for, customer, listing):
    client = client_for(customer)

    in_usd = client.post_json(URL, {"listing_id": str(listing.id), "amount": "1000", "currency": "USD"})
    unknown = client.post_json(URL, {"listing_id": str(listing.id), "amount": "1000", "currency": "ABC"})

    assert in_usd.status_code == 400
    assert set(in_usd.json()["errors"]) == {"currency"}
    assert "KES" in in_usd.json()["errors"]["currency"][0]
    assert unknown.status_code == 400
    assert not Offer.objects.exists()
    same = client.post_json(URL, {"listing_id": str(listing.id), "amount": "1000", "currency": "kes"})
    assert (same.status_code, same.json()["currency"]) == (201, "KES")
