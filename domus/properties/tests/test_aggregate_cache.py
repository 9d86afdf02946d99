"""Facets and map clusters are cached per normalised filters and visibility scope, and
every listing write makes the cached answers stale once it commits. Search counts are
exact up to a cap and estimated above it."""

from decimal import Decimal

import pytest
from django.conf import settings

from domus.properties import selectors, services
from domus.properties.caching import cached_answer, listing_cache_bump, listing_cache_version
from domus.properties.models import Listing
from domus.properties.tasks import listing_aggregates_warm
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

FACETS = f"{URL}facets/"
MAP = f"{URL}map/?bbox=36.0,-2.0,38.0,0.0&zoom=10"


def facet_count(client, query: str = "") -> int:
    response = client.get(f"{FACETS}?{query}")
    assert response.status_code == 200
    return response.json()["count"]


def test_a_cached_facet_answer_is_served_without_queries(api_client, django_assert_num_queries):
    ListingFactory(city="Nairobi")
    assert facet_count(api_client, "city=Nairobi") == 1

    with django_assert_num_queries(0):
        # The same filters written differently share the answer.
        assert facet_count(api_client, "city=%20nairobi%20&ordering=price") == 1


def test_the_cached_facets_change_after_a_listing_is_published(
    api_client, owner, draft_a, django_capture_on_commit_callbacks
):
    assert facet_count(api_client) == 0
    # A row written behind the services' back is not seen: the answer is cached.
    ListingFactory()
    assert facet_count(api_client) == 0
    version = listing_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        services.listing_update(actor=owner, listing=draft_a, status="available", is_published=True)

    assert listing_cache_version() == version + 1
    assert facet_count(api_client) == 2


def test_an_unchanged_listing_keeps_the_cache(api_client, owner, published_a, django_capture_on_commit_callbacks):
    published_a.refresh_from_db()
    version = listing_cache_version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.listing_update(actor=owner, listing=published_a, price=published_a.price)

    assert callbacks == []
    assert listing_cache_version() == version


def test_created_and_deleted_listings_make_the_map_stale(api_client, owner, django_capture_on_commit_callbacks):
    assert api_client.get(MAP).json()["total"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        listing = services.listing_create(
            actor=owner,
            title="Fresh",
            price=Decimal("100000"),
            status="available",
            is_published=True,
            latitude=Decimal("-1.28"),
            longitude=Decimal("36.81"),
        )
    assert [p["title"] for p in api_client.get(MAP).json()["points"]] == ["Fresh"]

    with django_capture_on_commit_callbacks(execute=True):
        services.listing_delete(actor=owner, listing=listing)
    assert api_client.get(MAP).json()["total"] == 0


def test_owners_get_an_uncached_answer_that_shows_their_drafts(client_for, owner, draft_a, api_client):
    assert facet_count(api_client) == 0  # cached for the public
    owner_client = client_for(owner)
    assert facet_count(owner_client) == 1

    Listing.objects.filter(pk=draft_a.pk).update(bedrooms=7)

    assert owner_client.get(FACETS).json()["bedrooms"] == [{"value": 7, "count": 1}]
    assert facet_count(api_client) == 0


def test_a_signed_in_customer_shares_the_public_answer(client_for, customer, api_client, django_assert_num_queries):
    ListingFactory()
    assert facet_count(api_client) == 1
    customer_client = client_for(customer)

    # user (token) with the companies they belong to, listings they own or show; no facet query
    with django_assert_num_queries(2):
        assert facet_count(customer_client) == 1


def test_admins_have_their_own_cached_answer(admin_client, api_client, draft_a):
    assert facet_count(api_client) == 0
    assert facet_count(admin_client) == 1


def test_the_map_box_is_widened_to_whole_cells():
    cell = selectors.map_cell_size(10)

    snapped = selectors.snap_bbox((36.81, -1.31, 36.83, -1.26), cell)

    low_lng, low_lat, high_lng, high_lat = (float(v) for v in snapped.split(","))
    assert low_lng <= 36.81 < low_lng + cell
    assert high_lng - cell < 36.83 <= high_lng
    assert low_lat <= -1.31 < low_lat + cell
    assert high_lat - cell < -1.26 <= high_lat
    assert selectors.snap_bbox((-180.0, -90.0, 180.0, 90.0), cell) == "-180.000000,-90.000000,180.000000,90.000000"


def test_search_counts_are_exact_up_to_the_cap(api_client, monkeypatch):
    for _ in range(5):
        ListingFactory()
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 5)

    assert api_client.get(URL).json()["count"] == 5


def test_search_counts_above_the_cap_are_estimated_on_postgres(api_client, monkeypatch):
    for _ in range(5):
        ListingFactory()
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 3)

    body = api_client.get(f"{URL}?page_size=2").json()

    if settings.IS_POSTGRES:
        assert body["count"] >= 4  # the planner's estimate, never below the cap + 1
    else:
        assert body["count"] == 5
    assert body["total_pages"] == -(-body["count"] // 2)
    assert len(body["results"]) == 2


def test_a_stale_answer_is_served_while_one_refresh_runs():
    refreshes = []
    answers = iter(["first", "second"])
    assert cached_answer("facets", "public", {"city": "x"}, lambda: next(answers)) == "first"
    listing_cache_bump()

    def read() -> str:
        return cached_answer(
            "facets", "public", {"city": "x"}, lambda: next(answers), refresh=lambda: refreshes.append(1)
        )

    assert read() == "first"  # stale, served at once
    assert read() == "first"
    assert refreshes == [1]  # one refresh for both reads
    assert cached_answer("facets", "public", {"city": "x"}, lambda: next(answers)) == "second"  # no refresher: now


def test_the_warm_job_caches_the_unfiltered_and_per_city_facets(api_client, django_assert_num_queries):
    ListingFactory(city="Nairobi")
    ListingFactory(city="Mombasa")

    assert listing_aggregates_warm() == 3

    with django_assert_num_queries(0):
        assert facet_count(api_client) == 2
        assert facet_count(api_client, "city=mombasa") == 1


def search_count(client, query: str = "") -> int:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    return response.json()["count"]


def test_a_repeated_search_reads_its_count_from_the_cache_until_a_listing_changes(
    api_client, owner, draft_a, django_assert_num_queries, django_capture_on_commit_callbacks
):
    ListingFactory(city="Nairobi")
    assert search_count(api_client, "city=Nairobi") == 1

    # The ids of the page, its rows, their features: no estimate, no count.
    with django_assert_num_queries(3):
        assert search_count(api_client, "city=Nairobi&page_size=10") == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.listing_update(actor=owner, listing=draft_a, status="available", is_published=True)

    assert search_count(api_client, "city=Nairobi") == 2  # counted again: the listings' version moved
