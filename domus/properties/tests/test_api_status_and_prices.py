"""Status moves only along the allowed transitions (409 with the allowed next states);
every price change is kept and announced; status changes are announced."""

from decimal import Decimal

import pytest

from domus.core.events import subscribe
from domus.properties.models import STATUS_TRANSITIONS, ListingStatus, PriceChange
from domus.properties.services import PRICE_CHANGED, STATUS_CHANGED
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

received: list[dict] = []


def remember(*, event: str, payload: dict) -> None:
    received.append({"event": event, **payload})


@pytest.fixture
def listing_events() -> list[dict]:
    subscribe(STATUS_CHANGED)(remember)
    subscribe(PRICE_CHANGED)(remember)
    received.clear()
    return received


def detail(listing) -> str:
    return f"{URL}{listing.id}/"


ALL_MOVES = [(source, target) for source in ListingStatus.values for target in ListingStatus.values if source != target]


@pytest.mark.parametrize(("source", "target"), ALL_MOVES)
def test_every_status_move_follows_the_transition_map(source, target, admin_client):
    listing = ListingFactory(status=source)

    response = admin_client.patch_json(detail(listing), {"status": target})

    listing.refresh_from_db()
    if target in STATUS_TRANSITIONS[source]:
        assert response.status_code == 200, response.content
        assert listing.status == target
    else:
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "CONFLICT_ERROR"
        assert body["errors"]["status"] == [f"Allowed next statuses: {', '.join(STATUS_TRANSITIONS[source])}."]
        assert listing.status == source


def test_a_refused_move_changes_nothing_else(client_for, owner, published_a, listing_events):
    published_a.status = "sold"
    published_a.save()

    response = client_for(owner).patch_json(detail(published_a), {"status": "available", "price": 1})

    assert response.status_code == 409
    published_a.refresh_from_db()
    assert (published_a.status, published_a.price) == ("sold", Decimal("250000.00"))
    assert PriceChange.objects.count() == 0
    assert listing_events == []


def test_price_changes_are_kept_newest_first(client_for, owner, api_client, django_capture_on_commit_callbacks):
    client = client_for(owner)
    created = client.post_json(URL, {"title": "Loft", "price": "100.00", "status": "available", "is_published": True})
    listing_id = created.json()["id"]
    client.patch_json(f"{URL}{listing_id}/", {"price": "120.00"})
    client.patch_json(f"{URL}{listing_id}/", {"description": "same price"})
    client.patch_json(f"{URL}{listing_id}/", {"price": "110.50"})

    response = api_client.get(f"{URL}{listing_id}/price-history/")

    assert response.status_code == 200
    rows = [(r["old_price"], r["new_price"], r["currency"]) for r in response.json()["results"]]
    assert rows == [("120.00", "110.50", "KES"), ("100.00", "120.00", "KES"), (None, "100.00", "KES")]
    assert response.json()["results"][0]["changed_by_id"] == str(owner.id)


def test_price_history_of_a_draft_is_hidden_like_the_draft(api_client, client_for, owner, draft_a):
    assert api_client.get(f"{detail(draft_a)}price-history/").status_code == 404
    assert client_for(owner).get(f"{detail(draft_a)}price-history/").status_code == 200


def test_status_and_price_changes_publish_events_after_commit(
    client_for, owner, published_a, listing_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client_for(owner).patch_json(detail(published_a), {"status": "under_offer", "price": "240000.00"})

    # the two events, the bump of the listing cache version, and the dashboards' news that
    # the roll-ups the status change recounted changed
    assert len(callbacks) == 4
    assert sorted(listing_events, key=lambda e: e["event"]) == [
        {
            "event": PRICE_CHANGED,
            "id": str(published_a.id),
            "company_id": str(published_a.company_id),
            "old_price": "250000.00",
            "old_currency": "KES",
            "new_price": "240000.00",
            "currency": "KES",
            "actor_id": str(owner.id),
        },
        {
            "event": STATUS_CHANGED,
            "id": str(published_a.id),
            "company_id": str(published_a.company_id),
            "from": "available",
            "to": "under_offer",
            "actor_id": str(owner.id),
        },
    ]


def test_unchanged_price_and_status_publish_nothing(
    client_for, owner, published_a, listing_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(owner).patch_json(detail(published_a), {"status": "available", "price": "250000"})

    assert response.status_code == 200
    assert callbacks == []
    assert PriceChange.objects.count() == 0


def test_prices_are_two_decimal_strings_in_answers_and_events(
    client_for, owner, listing_events, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    created = client.post_json(URL, {"title": "Villa", "price": 2450000, "status": "available", "is_published": True})
    listing_id = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        patched = client.patch_json(f"{URL}{listing_id}/", {"price": 2500000, "currency": "usd"})

    assert (created.status_code, created.json()["price"], created.json()["currency"]) == (201, "2450000.00", "KES")
    assert (patched.status_code, patched.json()["price"], patched.json()["currency"]) == (200, "2500000.00", "USD")
    event = next(e for e in listing_events if e["event"] == PRICE_CHANGED)
    assert (event["old_price"], event["old_currency"], event["new_price"], event["currency"]) == (
        "2450000.00",
        "KES",
        "2500000.00",
        "USD",
    )


def test_a_unit_price_carries_its_listing_currency(client_for, owner, published_a):
    client = client_for(owner)
    created = client.post_json(f"{detail(published_a)}units/", {"unit_number": "A1", "price": 15000})
    listed = client.get(f"{detail(published_a)}units/")

    assert (created.status_code, created.json()["price"], created.json()["currency"]) == (201, "15000.00", "KES")
    assert [(u["price"], u["currency"]) for u in listed.json()["results"]] == [("15000.00", "KES")]
