"""Facets: counts per property type, listing type, city, bedrooms and price bucket
for the current filters, public listings only, in a fixed number of queries."""

from decimal import Decimal

import pytest

from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

FACETS = f"{URL}facets/"


@pytest.fixture
def stock(draft_a):
    ListingFactory(property_type="apartment", listing_type="rent", city="Nairobi", bedrooms=2, price=Decimal("40000"))
    ListingFactory(property_type="apartment", listing_type="rent", city="Nairobi", bedrooms=3, price=Decimal("75000"))
    ListingFactory(property_type="house", listing_type="sale", city="Mombasa", bedrooms=3, price=Decimal("9000000"))
    ListingFactory(property_type="land", listing_type="sale", city="Kisumu", bedrooms=None, price=Decimal("50000000"))


def bucket_counts(body) -> dict[str, int]:
    return {f"{b['min']}-{b['max']}": b["count"] for b in body["price"] if b["count"]}


def test_facet_counts_over_public_listings(api_client, stock, django_assert_num_queries):
    with django_assert_num_queries(1):  # one grouped scan
        response = api_client.get(FACETS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4  # the draft is not counted
    assert body["property_type"] == [
        {"value": "apartment", "count": 2},
        {"value": "house", "count": 1},
        {"value": "land", "count": 1},
    ]
    assert body["listing_type"] == [{"value": "rent", "count": 2}, {"value": "sale", "count": 2}]
    assert body["city"] == [
        {"value": "Nairobi", "count": 2},
        {"value": "Kisumu", "count": 1},
        {"value": "Mombasa", "count": 1},
    ]
    assert body["bedrooms"] == [{"value": 2, "count": 1}, {"value": 3, "count": 2}, {"value": None, "count": 1}]
    assert bucket_counts(body) == {"0-50000": 1, "50000-100000": 1, "5000000-20000000": 1, "20000000-None": 1}
    assert len(body["price"]) == 8


def test_facets_follow_the_filters(api_client, stock):
    body = api_client.get(f"{FACETS}?city=nairobi&min_bedrooms=3").json()

    assert body["count"] == 1
    assert body["property_type"] == [{"value": "apartment", "count": 1}]
    assert bucket_counts(body) == {"50000-100000": 1}


def test_facets_include_what_the_caller_may_see(client_for, owner, stock):
    assert client_for(owner).get(FACETS).json()["count"] == 5


def test_facets_refuse_bad_filters(api_client):
    response = api_client.get(f"{FACETS}?bbox=1,2")

    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


def test_city_facet_keeps_the_top_twenty(api_client):
    for i in range(22):
        for _ in range(2 if i < 20 else 1):
            ListingFactory(city=f"Town {i:02d}")

    cities = api_client.get(FACETS).json()["city"]

    assert len(cities) == 20
    assert {c["count"] for c in cities} == {2}
