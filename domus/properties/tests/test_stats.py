"""Price trends: the selector (exact counts, means, medians per month, listing type and
currency) and ``GET /analytics/stats/price-trends/`` with the statistics API's alias."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from domus.properties.stats import PriceTrend, price_trends
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/stats/price-trends/"
JAN_FEB = {"start_date": date(2026, 1, 1), "end_date": date(2026, 2, 28)}


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def listing(price: str, when: datetime, *, area: str | None = "100.00", **fields):
    return ListingFactory(
        price=Decimal(price), area_m2=Decimal(area) if area is not None else None, created_at=when, **fields
    )


@pytest.fixture
def market(db) -> None:
    # January, sale (KES): 100k/100 m², 200k/80 m², 600k without area, and 300k/150 m²
    # created in March but published in January (the market date is published_at).
    listing("100000.00", at(2026, 1, 1))
    listing("200000.00", at(2026, 1, 31), area="80.00")
    listing("600000.00", at(2026, 1, 10), area=None)
    listing("300000.00", at(2026, 3, 2), area="150.00", published_at=at(2026, 1, 20))
    # January, rent (KES): 50k/50 m², 70k/70 m².
    listing("50000.00", at(2026, 1, 5), area="50.00", listing_type="rent", status="rented")
    listing("70000.00", at(2026, 1, 6), area="70.00", listing_type="rent")
    # February, sale: one in KES, one in USD (never averaged with KES).
    listing(
        "300000.00",
        at(
            2026,
            2,
            28,
        ),
        area="120.00",
        status="sold",
    )
    listing("1000.00", at(2026, 2, 3), area="10.00", currency="USD")
    # Not counted: a draft, an unpublished one, an archived one, a deleted one, and
    # listings outside the period (December, March).
    listing("999999.00", at(2026, 1, 12), status="draft", is_published=False)
    listing("999999.00", at(2026, 1, 12), is_published=False)
    listing("999999.00", at(2026, 1, 12), status="archived")
    listing("999999.00", at(2026, 1, 12), deleted_at=at(2026, 1, 13))
    listing(
        "999999.00",
        at(
            2025,
            12,
            31,
        ),
    )
    listing("999999.00", at(2026, 3, 1))


EXPECTED = [
    PriceTrend(
        month=date(2026, 1, 1),
        listing_type="sale",
        currency="KES",
        listing_count=4,
        mean_price=Decimal("300000.00"),
        median_price=Decimal("250000.00"),
        mean_price_per_m2=Decimal("1833.33"),  # (1000 + 2500 + 2000) / 3
    ),
    PriceTrend(
        month=date(2026, 1, 1),
        listing_type="rent",
        currency="KES",
        listing_count=2,
        mean_price=Decimal("60000.00"),
        median_price=Decimal("60000.00"),
        mean_price_per_m2=Decimal("1000.00"),
    ),
    PriceTrend(
        month=date(2026, 2, 1),
        listing_type="sale",
        currency="KES",
        listing_count=1,
        mean_price=Decimal("300000.00"),
        median_price=Decimal("300000.00"),
        mean_price_per_m2=Decimal("2500.00"),
    ),
    PriceTrend(
        month=date(2026, 2, 1),
        listing_type="sale",
        currency="USD",
        listing_count=1,
        mean_price=Decimal("1000.00"),
        median_price=Decimal("1000.00"),
        mean_price_per_m2=Decimal("100.00"),
    ),
]


def expected_queries(buckets: int) -> int:
    # PostgreSQL: one GROUP BY with percentile_cont. SQLite: that, plus one bounded
    # query per bucket for its middle prices.
    return 1 if connection.vendor == "postgresql" else 1 + buckets


def test_price_trends_per_month_type_and_currency(market, django_assert_num_queries):
    with django_assert_num_queries(expected_queries(len(EXPECTED))):
        trends = price_trends(**JAN_FEB)

    assert trends == EXPECTED


def test_median_of_an_odd_and_an_even_bucket(db):
    for price in ("10.00", "30.00", "20.00", "1000.00", "25.00"):
        listing(price, at(2026, 5, 3))
    for price in ("7.00", "1.00", "3.00"):
        listing(price, at(2026, 5, 3), listing_type="rent")

    sale, rent = price_trends(start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))

    assert (sale.listing_type, sale.listing_count, sale.median_price, sale.mean_price) == (
        "sale",
        5,
        Decimal("25.00"),
        Decimal("217.00"),
    )
    assert (rent.listing_type, rent.listing_count, rent.median_price) == ("rent", 3, Decimal("3.00"))
    listing("5.00", at(2026, 5, 4), listing_type="rent")
    rent = price_trends(start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))[1]
    assert rent.median_price == Decimal("4.00")  # (3 + 5) / 2


def test_the_period_bounds_are_inclusive_days(db):
    listing("100.00", datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    listing("300.00", datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC))
    listing("999.00", datetime(2026, 5, 1, 0, 0, tzinfo=UTC))

    (april,) = price_trends(start_date=date(2026, 4, 1), end_date=date(2026, 4, 30))

    assert (april.month, april.listing_count, april.mean_price) == (date(2026, 4, 1), 2, Decimal("200.00"))


def test_location_matches_city_or_state_case_insensitively(db):
    listing("100.00", at(2026, 6), city="Mombasa", state="Coast")
    listing("300.00", at(2026, 6), city="Kilifi", state="coast")
    listing("900.00", at(2026, 6), city="Nairobi", state="Nairobi")
    june = {"start_date": date(2026, 6, 1), "end_date": date(2026, 6, 30)}

    (by_city,) = price_trends(**june, location="MOMBASA")
    (by_state,) = price_trends(**june, location="Coast")

    assert (by_city.listing_count, by_city.mean_price) == (1, Decimal("100.00"))
    assert (by_state.listing_count, by_state.mean_price) == (2, Decimal("200.00"))
    assert price_trends(**june, location="Kisumu") == []


def test_property_type_narrows_the_trend(db):
    listing("100.00", at(2026, 6), property_type="house")
    listing("500.00", at(2026, 6), property_type="apartment")

    (houses,) = price_trends(start_date=date(2026, 6, 1), end_date=date(2026, 6, 30), property_type="house")

    assert (houses.listing_count, houses.mean_price) == (1, Decimal("100.00"))


def test_no_area_means_no_price_per_m2(db):
    listing("100.00", at(2026, 7), area=None)
    listing("200.00", at(2026, 7), area="0.00")

    (july,) = price_trends(start_date=date(2026, 7, 1), end_date=date(2026, 7, 31))

    assert july.listing_count == 2
    assert july.mean_price_per_m2 is None


# The API ----------------------------------------------------------------------------------

EXPECTED_BODY = {
    "start_date": "2026-01-01",
    "end_date": "2026-02-28",
    "location": None,
    "property_type": None,
    "results": [
        {
            "month": "2026-01-01",
            "listing_type": "sale",
            "currency": "KES",
            "listing_count": 4,
            "mean_price": "300000.00",
            "median_price": "250000.00",
            "mean_price_per_m2": "1833.33",
        },
        {
            "month": "2026-01-01",
            "listing_type": "rent",
            "currency": "KES",
            "listing_count": 2,
            "mean_price": "60000.00",
            "median_price": "60000.00",
            "mean_price_per_m2": "1000.00",
        },
        {
            "month": "2026-02-01",
            "listing_type": "sale",
            "currency": "KES",
            "listing_count": 1,
            "mean_price": "300000.00",
            "median_price": "300000.00",
            "mean_price_per_m2": "2500.00",
        },
        {
            "month": "2026-02-01",
            "listing_type": "sale",
            "currency": "USD",
            "listing_count": 1,
            "mean_price": "1000.00",
            "median_price": "1000.00",
            "mean_price_per_m2": "100.00",
        },
    ],
}


@pytest.mark.parametrize(
    "path",
    [URL, "/api/v1/stats/price-trends/", "/api/stats/price-trends", "/api/v1/analytics/stats/price-trends"],
    ids=["canonical", "stats-comms-alias", "unversioned-alias", "no-slash"],
)
def test_price_trends_api(market, user_client, path):
    response = user_client.get(path, {"start_date": "2026-01-01", "end_date": "2026-02-28"})

    assert response.status_code == 200, response.content
    assert response.json() == EXPECTED_BODY


def test_price_trends_api_filters(market, user_client):
    listing("400000.00", at(2026, 1), property_type="house", city="Nakuru")

    response = user_client.get(
        URL, {"start_date": "2026-01-01", "end_date": "2026-01-31", "location": "nakuru", "property_type": "house"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["location"], body["property_type"]) == ("nakuru", "house")
    assert [(r["listing_type"], r["listing_count"], r["median_price"]) for r in body["results"]] == [
        ("sale", 1, "400000.00")
    ]


def test_price_trends_needs_a_token(market, api_client):
    response = api_client.get("/api/v1/stats/price-trends/")

    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_ERROR"


def test_price_trends_api_takes_date_times_as_instants(user_client):
    listing("100.00", datetime(2026, 4, 1, 9, 59, tzinfo=UTC))
    listing("300.00", datetime(2026, 4, 1, 10, 0, tzinfo=UTC))
    listing("500.00", datetime(2026, 4, 30, 18, 0, tzinfo=UTC))

    response = user_client.get(URL, {"start_date": "2026-04-01T10:00:00Z", "end_date": "2026-04-30T12:00:00+00:00"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["start_date"], body["end_date"]) == ("2026-04-01T10:00:00Z", "2026-04-30T12:00:00Z")
    assert [(r["listing_count"], r["mean_price"], r["median_price"]) for r in body["results"]] == [
        (1, "300.00", "300.00")
    ]
