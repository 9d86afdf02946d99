"""The public search compiled per shape (``selectors.SearchShape``): the same
statements, rows, cards and count as the querysets it is compiled from, for every
one-value filter and ordering; other searches build their querysets as before."""

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties import selectors
from domus.properties.models import Listing
from domus.properties.pagination import PageByIds
from domus.properties.schemas import ListingCardOut, ListingFilters
from domus.properties.tests.conftest import SEARCH_PAGE_QUERIES, URL
from domus.properties.tests.factories import FeatureFactory, ListingFactory

pytestmark = pytest.mark.django_db

SHAPES = [
    {},
    {"city": "nairobi", "listing_type": "sale", "min_price": "7000000", "max_price": "7500000", "ordering": "-price"},
    {"city": " NAIROBI ", "ordering": "price"},
    {"city": "   "},
    {"city": "nai%robi"},
    {"city": "mombasa", "ordering": "-price,bedrooms"},
    {"property_type": "house", "min_bedrooms": 3, "ordering": "-bedrooms"},
    {"listing_type": "rent", "min_bathrooms": 2, "ordering": "area"},
    {"status": "under_offer"},
    {"min_area": "50", "max_area": "150.5", "ordering": "-area"},
    {"state": "Coast", "zip_code": "80100"},
    {"max_price": "7250000", "ordering": "created_at"},
]
PAGES = [(0, 20), (0, 7), (5, 12), (20, 40), (60, 80)]


@pytest.fixture
def listings(company_a):
    agent = UserFactory(role=Role.AGENT)
    features = [FeatureFactory(slug=slug, name=slug.title()) for slug in ("pool", "garden", "gym")]
    made = []
    for i in range(30):
        made.append(
            ListingFactory(
                city=("Nairobi", "Mombasa", "nai%robi")[i % 3],
                state=("Nairobi County", "Coast")[i % 2],
                zip_code=("00100", "80100")[i % 2],
                property_type=("apartment", "house")[i % 2],
                listing_type=("sale", "rent")[i % 2 if i < 20 else 0],
                status="under_offer" if i % 7 == 0 else "available",
                price=Decimal(7_000_000 + 25_000 * (i % 11)),
                bedrooms=None if i % 5 == 0 else i % 6,
                bathrooms=i % 4,
                area_m2=None if i % 6 == 0 else Decimal(40 + 7 * i),
                latitude=None if i % 8 == 0 else Decimal("-1.28") + i / Decimal(1000),
                longitude=None if i % 8 == 0 else Decimal("36.81"),
                company=company_a if i % 4 == 0 else None,
                agent=agent if i % 5 == 0 else None,
                features=features[: i % 4],
            )
        )
    ListingFactory(city="Nairobi", status="draft", is_published=False)  # never seen by the public
    return {"agent": agent, "company": company_a}


def _cards(listings: list[Listing]) -> list[dict]:
    return [ListingCardOut.model_validate(listing).model_dump(mode="json") for listing in listings]


def _statements(run) -> tuple[object, list[tuple[str, str]]]:
    with CaptureQueriesContext(connection) as captured:
        result = run()
    return result, [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("query", SHAPES)
def test_a_compiled_search_sends_the_same_statements_and_reads_the_same_cards(query, listings):
    filters = ListingFilters(**query)
    compiled = selectors.listing_search_for_actor(actor=None, filters=filters)
    built = selectors.listing_search_for_actor(actor=None, filters=filters, compiled=False)
    assert compiled.shape is not None
    assert built.shape is None

    for low, high in PAGES:
        for _ in range(2):  # compiled on the first run, reused on the second
            found, sent = _statements(lambda low=low, high=high: PageByIds(compiled)[low:high])
            expected, expected_sent = _statements(lambda low=low, high=high: PageByIds(built)[low:high])
            assert sent == expected_sent
            assert [listing.pk for listing in found] == [listing.pk for listing in expected]
            assert _cards(found) == _cards(expected)
            assert [listing.__dict__.keys() for listing in found] == [listing.__dict__.keys() for listing in expected]
    assert selectors.listing_search_count(compiled) == selectors.listing_count(built.rows)
    sql, params = built.rows.order_by().values("pk").query.sql_with_params()
    assert compiled.shape.count_sql() == (sql, list(params))


def test_company_and_agent_filters_compile_too(listings):
    for query in ({"company": listings["company"].pk}, {"agent": listings["agent"].pk, "ordering": "price"}):
        filters = ListingFilters(**query)
        compiled = selectors.listing_search_for_actor(actor=None, filters=filters)
        built = selectors.listing_search_for_actor(actor=None, filters=filters, compiled=False)
        assert compiled.shape is not None
        assert _cards(PageByIds(compiled)[0:20]) == _cards(PageByIds(built)[0:20]) != []


@pytest.mark.parametrize(
    "query",
    [
        {"search": "listing"},
        {"features": "pool"},
        {"bbox": "36,-2,37,-1"},
        {"near": "-1.28,36.81"},
        {"created_after": "2020-01-01"},
        {"search": "listing", "ordering": "relevance"},
    ],
)
def test_other_filters_build_their_querysets(query, listings):
    assert selectors.listing_search_for_actor(actor=None, filters=ListingFilters(**query)).shape is None


def test_signed_in_callers_build_their_querysets(listings):
    customer = UserFactory(role=Role.CUSTOMER)
    assert selectors.listing_search_for_actor(actor=customer, filters=ListingFilters()).shape is None


def test_a_bad_ordering_is_still_a_400(api_client, listings):
    response = api_client.get(f"{URL}?city=nairobi&ordering=nope")
    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


def test_the_compiled_search_pins_its_statements(api_client, listings, django_assert_num_queries):
    query = "city=nairobi&listing_type=sale&min_price=7000000&max_price=7500000&ordering=-created_at&page_size=5"
    # count (+ the planner's estimate on PostgreSQL), ids of the page, its rows, features of the page
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        first = api_client.get(f"{URL}?{query}")
    # the count is cached until the next listing write: ids, rows, features
    with django_assert_num_queries(3):
        again = api_client.get(f"{URL}?{query}")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert len(first.json()["results"]) == 5


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("-1.286400", "36.817200"), ("0E-6", "1E+1"), ("45", "-0.5"), (None, None)],
)
def test_maps_url_is_what_urlencode_makes(latitude, longitude):
    listing = Listing(
        title="A & B", address="1 Main St", city="Nairobi", country="KE", state="", zip_code="", latitude=None
    )
    listing.latitude = None if latitude is None else Decimal(latitude)
    listing.longitude = None if longitude is None else Decimal(longitude)
    query = f"{listing.latitude},{listing.longitude}" if latitude is not None else "1 Main St, Nairobi, KE"
    assert listing.maps_url == f"https://www.google.com/maps/search/?{urlencode({'api': 1, 'query': query})}"
