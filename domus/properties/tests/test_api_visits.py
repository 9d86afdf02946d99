"""Visits (the M-Pesa backend's ``/properties/visits/``): requesting a slot, the status moves,
never two overlapping active visits for one agent or one listing, who sees what, the
audit trail and the events."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from psycopg.errors import DeadlockDetected

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.core.tests.threads import second_waits_for_first
from domus.properties.models import Visit, VisitStatus
from domus.properties.selectors.visits import overlapping_visit
from domus.properties.services import visits as visit_services
from domus.properties.tests.factories import ListingFactory, VisitFactory, _tomorrow_at

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/visits/"


def detail(visit) -> str:
    return f"{URL}{visit.id}/"


def slot(hour: int = 10, minutes: int = 60, days: int = 1) -> dict[str, str]:
    starts = _tomorrow_at(hour) + timedelta(days=days - 1)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=minutes)).isoformat()}


@pytest.fixture
def listing(published_a, agent_a):
    published_a.agent = agent_a
    published_a.save()
    return published_a


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, dict]]:
    """The events the visit services publish (delivery itself is the core's, tested there)."""
    published: list[tuple[str, dict]] = []
    monkeypatch.setattr(visit_services, "publish", lambda event, payload: published.append((event, payload)))
    return published


@pytest.fixture
def visit(listing, customer):
    return VisitFactory(listing=listing, customer=customer)


# Requesting -----------------------------------------------------------------------------------


def test_a_customer_requests_a_visit_shown_by_the_listings_agent(
    client_for, customer, listing, agent_a, audit_log, events
):
    response = client_for(customer).post_json(URL, {"listing_id": str(listing.id), "note": " Evenings? ", **slot()})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["agent_id"], body["customer_id"]) == ("requested", str(agent_a.id), str(customer.id))
    assert body["listing_title"] == listing.title
    assert body["note"] == "Evenings?"
    assert body["allowed_next_statuses"] == ["confirmed", "cancelled"]
    visit = Visit.objects.get(pk=body["id"])
    assert visit.ends_at - visit.starts_at == timedelta(hours=1)
    assert audit_log.objects.filter(
        action="create", resource_type="properties.visit", resource_id=str(visit.id)
    ).exists()
    assert [event for event, _ in events] == ["visit.requested"]
    assert events[0][1]["agent_id"] == str(agent_a.id)


@pytest.mark.parametrize(
    ("times", "field"),
    [
        (
            {"starts_at": (timezone.now() - timedelta(hours=1)).isoformat(), "ends_at": timezone.now().isoformat()},
            "starts_at",
        ),
        (slot(minutes=10), "ends_at"),
        (slot(minutes=4 * 60 + 1), "ends_at"),
        ({"starts_at": slot()["ends_at"], "ends_at": slot()["starts_at"]}, "ends_at"),
    ],
    ids=["past", "too-short", "too-long", "ends-before-start"],
)
def test_a_slot_is_15_minutes_to_4_hours_in_the_future(times, field, client_for, customer, listing):
    response = client_for(customer).post_json(URL, {"listing_id": str(listing.id), **times})

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Visit.objects.exists()


def test_the_longest_and_shortest_slots_are_accepted(client_for, customer, listing):
    client = client_for(customer)

    assert client.post_json(URL, {"listing_id": str(listing.id), **slot(hour=9, minutes=15)}).status_code == 201
    assert client.post_json(URL, {"listing_id": str(listing.id), **slot(hour=12, minutes=240)}).status_code == 201


def test_only_published_listings_with_an_agent_can_be_visited(client_for, customer, draft_a, agent_a, published_a):
    draft_a.agent = agent_a
    draft_a.save()
    client = client_for(customer)

    hidden = client.post_json(URL, {"listing_id": str(draft_a.id), **slot()})
    no_agent = client.post_json(URL, {"listing_id": str(published_a.id), **slot()})

    assert hidden.status_code == 404
    assert no_agent.status_code == 400
    assert "no assigned agent" in no_agent.json()["errors"]["listing_id"][0]
    assert not Visit.objects.exists()


def test_visits_need_a_token(api_client, listing):
    assert api_client.get(URL).status_code == 401
    assert api_client.post_json(URL, {"listing_id": str(listing.id), **slot()}).status_code == 401


# Overlaps -------------------------------------------------------------------------------------


def test_an_overlapping_slot_of_the_same_listing_or_agent_is_a_conflict(client_for, customer, listing, agent_a):
    other_listing = ListingFactory(agent=agent_a)
    VisitFactory(listing=listing, starts_at=_tomorrow_at(10), ends_at=_tomorrow_at(11))
    client = client_for(customer)

    same_listing = client.post_json(URL, {"listing_id": str(listing.id), **slot(hour=10, minutes=30)})
    same_agent = client.post_json(URL, {"listing_id": str(other_listing.id), **slot(hour=9, minutes=90)})

    for response in (same_listing, same_agent):
        assert response.status_code == 409
        assert response.json()["code"] == "CONFLICT_ERROR"
    assert Visit.objects.count() == 1


def test_back_to_back_and_cancelled_slots_are_free(client_for, customer, listing):
    VisitFactory(listing=listing, starts_at=_tomorrow_at(10), ends_at=_tomorrow_at(11))
    VisitFactory(listing=listing, starts_at=_tomorrow_at(12), ends_at=_tomorrow_at(13), status=VisitStatus.CANCELLED)
    client = client_for(customer)

    assert client.post_json(URL, {"listing_id": str(listing.id), **slot(hour=11)}).status_code == 201
    assert client.post_json(URL, {"listing_id": str(listing.id), **slot(hour=12)}).status_code == 201


# Status moves ---------------------------------------------------------------------------------


def test_the_agent_confirms_then_completes_once_it_started(client_for, visit, agent_a, audit_log, events):
    client = client_for(agent_a)

    confirmed = client.post(f"{detail(visit)}confirm/")
    early = client.post(f"{detail(visit)}complete/")
    Visit.objects.filter(pk=visit.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() - timedelta(minutes=1)
    )
    completed = client.post(f"{detail(visit)}complete/")

    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed_at"] is not None
    assert early.status_code == 409
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"
    assert completed.json()["allowed_next_statuses"] == []
    assert [event for event, _ in events] == ["visit.confirmed", "visit.completed"]
    actions = set(audit_log.objects.filter(resource_id=str(visit.id)).values_list("action", flat=True))
    assert {"confirm", "complete"} <= actions


def test_a_move_that_is_not_allowed_is_409_with_the_allowed_states(client_for, visit, agent_a):
    response = client_for(agent_a).post(f"{detail(visit)}complete/")

    assert response.status_code == 409
    assert response.json()["errors"]["status"] == ["Allowed next statuses: confirmed, cancelled."]
    visit.refresh_from_db()
    assert visit.status == "requested"


def test_the_customer_cancels_with_a_reason_and_the_slot_frees(client_for, customer, visit, events):
    response = client_for(customer).post_json(f"{detail(visit)}cancel/", {"reason": "Found another place"})
    again = client_for(customer).post_json(f"{detail(visit)}cancel/", {})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "Found another place")
    assert again.status_code == 409
    assert events[0][0] == "visit.cancelled"
    assert client_for(customer).post_json(URL, {"listing_id": str(visit.listing_id), **slot()}).status_code == 201


def test_customers_cannot_confirm_their_own_visit(client_for, customer, visit):
    response = client_for(customer).post(f"{detail(visit)}confirm/")

    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.status == "requested"


def test_rescheduling_by_the_customer_needs_a_new_confirmation(client_for, customer, visit, agent_a, events):
    client_for(agent_a).post(f"{detail(visit)}confirm/")

    response = client_for(customer).post_json(f"{detail(visit)}reschedule/", slot(hour=15))

    assert response.status_code == 200
    assert response.json()["status"] == "requested"
    assert response.json()["starts_at"].startswith(_tomorrow_at(15).strftime("%Y-%m-%dT15:00"))
    assert events[-1][0] == "visit.rescheduled"
    assert events[-1][1]["previous_starts_at"] == _tomorrow_at(10).isoformat()


def test_rescheduling_by_the_agent_keeps_it_confirmed(client_for, visit, agent_a):
    client_for(agent_a).post(f"{detail(visit)}confirm/")

    response = client_for(agent_a).post_json(f"{detail(visit)}reschedule/", slot(hour=16))

    assert (response.status_code, response.json()["status"]) == (200, "confirmed")


def test_rescheduling_onto_a_taken_slot_or_a_closed_visit_is_409(client_for, customer, visit, listing):
    VisitFactory(listing=listing, starts_at=_tomorrow_at(14), ends_at=_tomorrow_at(15))
    client = client_for(customer)

    taken = client.post_json(f"{detail(visit)}reschedule/", slot(hour=14, minutes=30))
    own_slot = client.post_json(f"{detail(visit)}reschedule/", slot(hour=10, minutes=30))
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.CANCELLED)
    closed = client.post_json(f"{detail(visit)}reschedule/", slot(hour=17))

    assert taken.status_code == 409
    assert own_slot.status_code == 200  # overlapping only itself is fine
    assert closed.status_code == 409


# The M-Pesa backend's paths: GET/PUT/DELETE--------------------------------------------------------


def test_original_paths_read_replace_and_delete_a_visit(client_for, customer, visit, audit_log):
    client = client_for(customer)

    listed = client.get("/api/v1/properties/visits/")
    read = client.get(f"/api/v1/properties/visits/{visit.id}/")
    replaced = client.put_json(f"/api/v1/properties/visits/{visit.id}/", {"note": "Bring keys", **slot(hour=13)})
    patched = client.patch_json(f"/api/v1/properties/visits/{visit.id}", {"note": "Bring both keys"})
    deleted = client.delete(f"/api/v1/properties/visits/{visit.id}/")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [str(visit.id)]
    assert read.status_code == 200
    assert replaced.status_code == 200
    assert replaced.json()["note"] == "Bring keys"
    assert replaced.json()["starts_at"].startswith(_tomorrow_at(13).strftime("%Y-%m-%dT13:00"))
    assert patched.json()["note"] == "Bring both keys"
    assert deleted.status_code == 204
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert audit_log.objects.filter(action="delete", resource_id=str(visit.id)).exists()


def test_the_agent_cannot_delete_a_visit_record(client_for, visit, agent_a):
    assert client_for(agent_a).delete(detail(visit)).status_code == 403
    assert Visit.objects.filter(pk=visit.pk).exists()


# Who sees what -----------------------------------------------------------------------------


def test_each_reader_sees_only_their_visits(client_for, customer, agent_a, staff_a, staff_b, admin_user, visit):
    elsewhere = VisitFactory()  # another customer, another agent, a listing of no company
    mine_as_customer = VisitFactory(customer=customer, starts_at=_tomorrow_at(16), ends_at=_tomorrow_at(17))

    def ids(user) -> set[str]:
        return {item["id"] for item in client_for(user).get(URL).json()["results"]}

    assert ids(customer) == {str(visit.id), str(mine_as_customer.id)}
    assert ids(agent_a) == {str(visit.id)}
    assert ids(staff_a) == {str(visit.id)}
    assert ids(staff_b) == set()
    assert ids(admin_user) == {str(visit.id), str(mine_as_customer.id), str(elsewhere.id)}


def test_other_users_get_404_and_change_nothing(client_for, staff_b, visit):
    stranger = UserFactory(role=Role.CUSTOMER)
    for user in (stranger, staff_b):
        client = client_for(user)
        assert client.get(detail(visit)).status_code == 404
        assert client.post(f"{detail(visit)}confirm/").status_code == 404
        assert client.post_json(f"{detail(visit)}cancel/", {}).status_code == 404
        assert client.put_json(detail(visit), {"note": "x", **slot(hour=18)}).status_code == 404
        assert client.delete(detail(visit)).status_code == 404
    visit.refresh_from_db()
    assert (visit.status, visit.note, visit.starts_at) == ("requested", "", _tomorrow_at(10))


def test_company_staff_confirm_their_listings_visits(client_for, staff_a, visit):
    assert client_for(staff_a).post(f"{detail(visit)}confirm/").status_code == 200


def test_the_visit_list_makes_a_fixed_number_of_queries(client_for, customer, listing, django_assert_num_queries):
    for hour in range(8, 18, 2):
        VisitFactory(customer=customer, starts_at=_tomorrow_at(hour), ends_at=_tomorrow_at(hour + 1))
    client = client_for(customer)

    # user (token) with their company memberships, count, page of visits with their listing
    with django_assert_num_queries(3):
        response = client.get(URL)

    assert response.json()["count"] == 5


def test_visits_is_not_taken_for_a_listing_id(api_client, listing):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"/api/v1/properties/{listing.id}/").status_code == 200


# PostgreSQL: the exclusion constraints hold under real concurrency ------------------------


def _race(attempts: list[Callable[[], object]]) -> list[str]:
    """Run each attempt in a thread of its own, all released at once; "booked", "conflict"
    or (rows written at once, unguarded by the service's locks) "deadlock" each."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(attempt: Callable[[], object]) -> None:
        try:
            barrier.wait()
            attempt()
            outcome = "booked"
        except visit_services.Conflict:
            outcome = "conflict"
        except OperationalError as error:
            if not isinstance(error.__cause__, DeadlockDetected):
                raise
            outcome = "deadlock"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_bookings_of_one_agent_let_exactly_one_through():
    agent = UserFactory(role=Role.AGENT)
    # Different listings, so only the agent's exclusion constraint can stop the race.
    listings = [ListingFactory(agent=agent) for _ in range(6)]
    customers = [UserFactory(role=Role.CUSTOMER) for _ in listings]

    def booking(index: int) -> Callable[[], object]:
        start = _tomorrow_at(10) + timedelta(minutes=5 * index)
        return lambda: visit_services.visit_create(
            actor=customers[index], listing_id=listings[index].id, starts_at=start, ends_at=start + timedelta(hours=1)
        )

    outcomes = _race([booking(i) for i in range(len(listings))])

    assert outcomes == ["booked"] + ["conflict"] * (len(listings) - 1)
    assert Visit.objects.filter(agent=agent).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_visits_of_one_listing_let_exactly_one_through_whoever_shows_it():
    listing = ListingFactory(agent=UserFactory(role=Role.AGENT))
    # A different agent each (as after reassignments), so only the listing's exclusion constraint can stop the race.
    agents = [UserFactory(role=Role.AGENT) for _ in range(5)]
    customers = [UserFactory(role=Role.CUSTOMER) for _ in agents]

    def booking(index: int) -> Callable[[], object]:
        start = _tomorrow_at(14) + timedelta(minutes=10 * index)
        end = start + timedelta(hours=1)
        visit = Visit(listing=listing, customer=customers[index], agent=agents[index], starts_at=start, ends_at=end)
        return lambda: visit_services._save(visit)

    outcomes = _race([booking(i) for i in range(len(agents))])

    # Unguarded writes of conflicting rows at once may also deadlock: refused all the same.
    assert outcomes.count("booked") == 1
    assert set(outcomes) <= {"booked", "conflict", "deadlock"}
    assert Visit.objects.filter(listing=listing).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_booking_of_the_agent_waits_for_the_first_and_sees_it(client_for):
    """From its overlap check to its commit a booking holds the agent's diary: another
    customer's booking of an overlapping slot of the agent's other listing waits, then
    finds it (409), instead of both writing and one failing (or both deadlocking)."""
    agent = UserFactory(role=Role.AGENT)
    first, second = (ListingFactory(agent=agent) for _ in range(2))
    customers = [UserFactory(role=Role.CUSTOMER) for _ in range(2)]
    starts = _tomorrow_at(10)
    window = {"starts_at": starts, "ends_at": starts + timedelta(hours=1)}

    booked, waited, answer = second_waits_for_first(
        lambda: overlapping_visit(agent_id=agent.pk, listing_id=first.pk, **window),
        lambda: visit_services.visit_create(actor=customers[0], listing_id=first.pk, **window),
        lambda: client_for(customers[1]).post_json(
            URL, {"listing_id": str(second.id), **{k: v.isoformat() for k, v in window.items()}}
        ),
    )

    assert booked.listing_id == first.pk
    assert waited
    assert answer.status_code == 409, answer.content
    assert list(Visit.objects.filter(agent=agent).values_list("listing_id", flat=True)) == [first.pk]


@pytest.mark.postgres
def test_the_database_refuses_an_overlap_the_service_did_not_check(listing, customer):
    VisitFactory(listing=listing, starts_at=_tomorrow_at(10), ends_at=_tomorrow_at(11))
    overlapping = Visit(
        listing=listing,
        customer=customer,
        agent=listing.agent,
        starts_at=_tomorrow_at(10) + timedelta(minutes=30),
        ends_at=_tomorrow_at(12),
    )

    with pytest.raises(visit_services.Conflict):
        visit_services._save(overlapping)
