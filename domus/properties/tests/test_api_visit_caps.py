"""One customer cannot fill an agent's week: open viewing requests (requested or
confirmed, not yet started) are capped per customer and listing and per customer and
agent, also under concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.models import Visit, VisitStatus
from domus.properties.services import visits as visit_services
from domus.properties.tests.factories import ListingFactory, VisitFactory, _tomorrow_at

URL = "/api/v1/properties/visits/"


def slot(days: int, hour: int = 10) -> dict[str, str]:
    starts = _tomorrow_at(hour) + timedelta(days=days)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}


@pytest.fixture
def listings(company_a, agent_a):
    """Four published listings shown by ``agent_a``."""
    return [ListingFactory(company=company_a, agent=agent_a, published_at=timezone.now()) for _ in range(4)]


@pytest.mark.django_db
def test_a_third_open_request_for_one_listing_is_a_409(client_for, customer, listings, settings):
    settings.VISIT_MAX_OPEN_PER_LISTING = 2
    listing = listings[0]
    VisitFactory(listing=listing, customer=customer, starts_at=timezone.now() - timedelta(days=2))  # past: not open
    VisitFactory(listing=listing, customer=customer, starts_at=_tomorrow_at(8), status=VisitStatus.CANCELLED)
    api = client_for(customer)
    booked = [api.post_json(URL, {"listing_id": str(listing.id), **slot(days)}).status_code for days in (0, 1)]

    third = api.post_json(URL, {"listing_id": str(listing.id), **slot(2)})
    someone_else = client_for(UserFactory(role=Role.CUSTOMER)).post_json(
        URL, {"listing_id": str(listing.id), **slot(3)}
    )

    assert booked == [201, 201]
    assert third.status_code == 409
    assert third.json()["detail"] == "You already have 2 open viewing requests for this listing."
    assert third.json()["errors"] == {"listing_id": ["At most 2 open per listing."]}
    assert someone_else.status_code == 201
    open_ones = Visit.objects.filter(customer=customer, listing=listing, starts_at__gt=timezone.now())
    assert open_ones.filter(status=VisitStatus.REQUESTED).count() == 2


@pytest.mark.django_db
def test_open_requests_with_one_agent_are_capped_over_all_their_listings(client_for, customer, listings, settings):
    settings.VISIT_MAX_OPEN_PER_AGENT = 3
    other_agents = ListingFactory(
        company=listings[0].company, agent=UserFactory(role=Role.AGENT), published_at=timezone.now()
    )
    api = client_for(customer)
    booked = [
        api.post_json(URL, {"listing_id": str(lst.id), **slot(i)}).status_code for i, lst in enumerate(listings[:3])
    ]

    fourth = api.post_json(URL, {"listing_id": str(listings[3].id), **slot(3)})
    elsewhere = api.post_json(URL, {"listing_id": str(other_agents.id), **slot(3)})

    assert booked == [201, 201, 201]
    assert fourth.status_code == 409
    assert fourth.json()["detail"] == "You already have 3 open viewing requests with this listing's agent."
    assert elsewhere.status_code == 201
    assert not Visit.objects.filter(listing=listings[3]).exists()


@pytest.mark.django_db
def test_moving_a_past_request_ahead_counts_against_the_cap(client_for, customer, listings, settings):
    settings.VISIT_MAX_OPEN_PER_LISTING = 1
    listing = listings[0]
    stale = VisitFactory(
        listing=listing,
        customer=customer,
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=2),
    )
    api = client_for(customer)
    assert api.post_json(URL, {"listing_id": str(listing.id), **slot(0)}).status_code == 201

    moved = api.post_json(f"{URL}{stale.id}/reschedule/", slot(1))

    assert moved.status_code == 409, moved.content
    stale.refresh_from_db()
    assert stale.starts_at < timezone.now()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_of_one_customer_on_an_agents_listings_stop_at_the_cap(settings):
    settings.VISIT_MAX_OPEN_PER_AGENT = 2
    agent = UserFactory(role=Role.AGENT)
    # Different listings at different times: neither the listing lock nor the overlap
    # constraints serialise these; only the customer's lock keeps the count honest.
    listings = [ListingFactory(agent=agent, published_at=timezone.now()) for _ in range(6)]
    customer = UserFactory(role=Role.CUSTOMER)
    barrier = threading.Barrier(len(listings))
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(index: int) -> None:
        starts = _tomorrow_at(8) + timedelta(hours=index)
        try:
            barrier.wait(timeout=10)
            visit_services.visit_create(
                actor=customer, listing_id=listings[index].id, starts_at=starts, ends_at=starts + timedelta(hours=1)
            )
            outcome = "booked"
        except visit_services.Conflict:
            outcome = "conflict"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=book, args=(index,)) for index in range(len(listings))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked"] * 2 + ["conflict"] * 4
    assert Visit.objects.filter(customer=customer).count() == 2
