"""Search on GET /properties/: every filter, text search, bbox and near + radius with
distance ordering, the ordering whitelist, bad input, and the query count of a page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.tests.conftest import SEARCH_PAGE_QUERIES, URL
from domus.properties.tests.factories import FeatureFactory, ListingFactory

pytestmark = pytest.mark.django_db


def titles(client, query: str) -> list[str]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


@pytest.fixture
def catalogue(company_a):
    """Five public listings that differ in every filtered field."""
    agent = UserFactory(role=Role.AGENT)
    pool, garden = FeatureFactory(name="Pool", slug="pool"), FeatureFactory(name="Garden", slug="garden")
    return {
        "flat": ListingFactory(
            title="Westlands Flat",
            property_type="apartment",
            listing_type="rent",
            price=Decimal("80000"),
            bedrooms=2,
            bathrooms=1,
            area_m2=Decimal("90"),
            city="Nairobi",
            state="Nairobi County",
            zip_code="00100",
            description="Bright flat near the mall",
            features=[pool],
        ),
        "villa": ListingFactory(
            title="Karen Villa",
            property_type="villa",
            listing_type="sale",
            price=Decimal("45000000"),
            bedrooms=5,
            bathrooms=4,
            area_m2=Decimal("600"),
            city="Nairobi",
            state="Nairobi County",
            zip_code="00502",
            company=company_a,
            agent=agent,
            features=[pool, garden],
        ),
        "house": ListingFactory(
            title="Nyali House",
            property_type="house",
            listing_type="sale",
            price=Decimal("18000000"),
            bedrooms=4,
            bathrooms=3,
            area_m2=Decimal("320"),
            city="Mombasa",
            state="Mombasa County",
            zip_code="80100",
            address="Links Road",
            features=[garden],
        ),
        "office": ListingFactory(
            title="Upper Hill Office",
            property_type="office",
            listing_type="rent",
            price=Decimal("300000"),
            bedrooms=None,
            bathrooms=2,
            area_m2=Decimal("250"),
            city="Nairobi",
            status="under_offer",
        ),
        "plot": ListingFactory(
            title="Kisumu Plot",
            property_type="land",
            listing_type="sale",
            price=Decimal("2500000"),
            bedrooms=None,
            bathrooms=None,
            area_m2=None,
            city="Kisumu",
            state="Kisumu County",
        ),
        "agent": agent,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("property_type=villa", {"Karen Villa"}),
        ("listing_type=rent", {"Westlands Flat", "Upper Hill Office"}),
        ("status=under_offer", {"Upper Hill Office"}),
        ("city=nairobi", {"Westlands Flat", "Karen Villa", "Upper Hill Office"}),
        ("state=Mombasa%20County", {"Nyali House"}),
        ("zip_code=00502", {"Karen Villa"}),
        ("min_price=2500000", {"Karen Villa", "Nyali House", "Kisumu Plot"}),
        ("max_price=300000", {"Westlands Flat", "Upper Hill Office"}),
        ("min_price=100000&max_price=20000000", {"Nyali House", "Upper Hill Office", "Kisumu Plot"}),
        ("min_bedrooms=4", {"Karen Villa", "Nyali House"}),
        ("min_bathrooms=2", {"Karen Villa", "Nyali House", "Upper Hill Office"}),
        ("min_area=250", {"Karen Villa", "Nyali House", "Upper Hill Office"}),
        ("max_area=250", {"Westlands Flat", "Upper Hill Office"}),
        ("features=pool", {"Westlands Flat", "Karen Villa"}),
        ("features=pool,garden", {"Karen Villa"}),
        ("features=garden,%20POOL", {"Karen Villa"}),
        ("features=pool,unknown", set()),
        ("search=mall", {"Westlands Flat"}),
        ("search=links%20road", {"Nyali House"}),
        ("search=mombasa", {"Nyali House"}),
        ("search=villa", {"Karen Villa"}),
    ],
)
def test_each_filter(query, expected, api_client, catalogue):
    assert set(titles(api_client, query)) == expected


def test_company_and_agent_filters(api_client, catalogue, company_a):
    assert titles(api_client, f"company={company_a.id}") == ["Karen Villa"]
    assert titles(api_client, f"agent={catalogue['agent'].id}") == ["Karen Villa"]


def test_created_and_updated_date_filters(api_client, catalogue):
    old = catalogue["plot"]
    old.created_at = timezone.now() - timedelta(days=30)
    old.save()
    cutoff = (timezone.now() - timedelta(days=1)).date().isoformat()

    assert "Kisumu Plot" not in titles(api_client, f"created_after={cutoff}")
    assert titles(api_client, f"created_before={cutoff}") == ["Kisumu Plot"]
    assert len(titles(api_client, f"updated_after={cutoff}")) == 5
    assert titles(api_client, f"updated_before={cutoff}") == []


def test_ordering_whitelist(api_client, catalogue):
    assert titles(api_client, "ordering=price")[:2] == ["Westlands Flat", "Upper Hill Office"]
    assert titles(api_client, "ordering=-price")[0] == "Karen Villa"
    assert titles(api_client, "ordering=-area")[:2] == ["Karen Villa", "Nyali House"]
    assert titles(api_client, "min_bedrooms=1&ordering=-bedrooms") == ["Karen Villa", "Nyali House", "Westlands Flat"]
    response = api_client.get(f"{URL}?ordering=owner")
    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


def test_default_ordering_is_newest_first(api_client):
    older = ListingFactory(title="Older")
    older.created_at = timezone.now() - timedelta(hours=1)
    older.save()
    ListingFactory(title="Newer")

    assert titles(api_client, "") == ["Newer", "Older"]


def test_search_respects_visibility(api_client, draft_a):
    assert titles(api_client, "search=hidden") == []


def test_bad_filter_values_are_400_with_field_errors(api_client):
    for query, field in [
        ("min_price=-5", "min_price"),
        ("property_type=castle", "property_type"),
        ("min_bedrooms=two", "min_bedrooms"),
        ("company=not-a-uuid", "company"),
        ("radius_km=5", "radius_km"),
    ]:
        response = api_client.get(f"{URL}?{query}")
        assert response.status_code == 400, query
        assert field in response.json()["errors"], (query, response.json())


# Geo ---------------------------------------------------------------------------------------


@pytest.fixture
def places(db):
    """Listings around Nairobi CBD (-1.2864, 36.8172) and one in Mombasa."""
    return {
        "cbd": ListingFactory(title="CBD", latitude=Decimal("-1.286400"), longitude=Decimal("36.817200")),
        "westlands": ListingFactory(title="Westlands", latitude=Decimal("-1.267600"), longitude=Decimal("36.806700")),
        "karen": ListingFactory(title="Karen", latitude=Decimal("-1.319400"), longitude=Decimal("36.707300")),
        "mombasa": ListingFactory(title="Mombasa", latitude=Decimal("-4.043500"), longitude=Decimal("39.668200")),
        "nowhere": ListingFactory(title="No coordinates"),
    }


def test_bbox_keeps_listings_inside_the_box(api_client, places):
    assert set(titles(api_client, "bbox=36.75,-1.30,36.85,-1.25")) == {"CBD", "Westlands"}
    assert set(titles(api_client, "bbox=36.0,-5.0,40.0,0.0")) == {"CBD", "Westlands", "Karen", "Mombasa"}
    # The band between two latitudes is the same in either order.
    assert set(titles(api_client, "bbox=36.0,0.0,40.0,-5.0")) == {"CBD", "Westlands", "Karen", "Mombasa"}


def test_bbox_across_the_antimeridian(api_client):
    ListingFactory(title="Fiji", latitude=Decimal("-17.7"), longitude=Decimal("178.0"))
    ListingFactory(title="Samoa", latitude=Decimal("-13.8"), longitude=Decimal("-172.0"))
    ListingFactory(title="Greenwich", latitude=Decimal("-15.0"), longitude=Decimal("0.0"))

    assert set(titles(api_client, "bbox=170,-20,-170,-10")) == {"Fiji", "Samoa"}


def test_near_orders_by_distance_and_answers_distance_km(api_client, places):
    response = api_client.get(f"{URL}?near=-1.2864,36.8172&radius_km=15")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["title"] for r in results] == ["CBD", "Westlands", "Karen"]
    distances = [r["distance_km"] for r in results]
    assert distances[0] == pytest.approx(0.0, abs=0.01)
    assert distances[1] == pytest.approx(2.39, abs=0.05)
    assert distances[2] == pytest.approx(12.76, abs=0.05)


def test_near_radius_is_exact_not_the_bounding_box(api_client, places):
    # Karen is 12.76 km away: inside the bounding box of a 12.5 km radius, outside the circle.
    assert titles(api_client, "near=-1.2864,36.8172&radius_km=12.5") == ["CBD", "Westlands"]
    assert titles(api_client, "near=-1.2864,36.8172") == ["CBD", "Westlands"]  # default 10 km


def test_near_with_other_ordering_and_filters(api_client, places):
    places["karen"].price = Decimal("1")
    places["karen"].save()

    assert titles(api_client, "near=-1.2864,36.8172&radius_km=500&ordering=price")[0] == "Karen"
    assert titles(api_client, "near=-1.2864,36.8172&radius_km=500&ordering=-distance") == [
        "Mombasa",
        "Karen",
        "Westlands",
        "CBD",
    ]
    assert titles(api_client, "near=-1.2864,36.8172&radius_km=500&max_price=10") == ["Karen"]


def test_distance_ordering_needs_near(api_client, places):
    response = api_client.get(f"{URL}?ordering=distance")

    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


def test_without_near_there_is_no_distance(api_client, places):
    assert {r["distance_km"] for r in api_client.get(URL).json()["results"]} == {None}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=1,2,3,4,5", "bbox"),
        ("bbox=200,0,10,10", "bbox"),
        ("bbox=0,95,10,10", "bbox"),
        ("bbox=nan,0,10,10", "bbox"),
        ("near=1", "near"),
        ("near=1,x", "near"),
        ("near=91,0", "near"),
        ("near=0,181", "near"),
        ("near=0,0&radius_km=0", "radius_km"),
        ("near=0,0&radius_km=100000", "radius_km"),
    ],
)
def test_malformed_geo_parameters_are_400_field_errors(query, field, api_client):
    response = api_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert field in body["errors"], body


# Result cards --------------------------------------------------------------------------------


def test_result_cards_carry_what_a_card_needs(api_client):
    listing = ListingFactory(
        latitude=Decimal("-1.2864"), longitude=Decimal("36.8172"), features=[FeatureFactory(slug="pool", name="Pool")]
    )

    card = api_client.get(URL).json()["results"][0]

    assert card == {
        "id": str(listing.id),
        "title": listing.title,
        "name": listing.title,
        "price": "100000.00",
        "currency": "KES",
        "bedrooms": 2,
        "bathrooms": 1,
        "area_m2": "80.00",
        "city": "Nairobi",
        "property_type": "apartment",
        "listing_type": "sale",
        "status": "available",
        "is_published": True,
        "latitude": -1.2864,
        "longitude": 36.8172,
        "maps_url": "https://www.google.com/maps/search/?api=1&query=-1.286400%2C36.817200",
        "features": ["pool"],
        "distance_km": None,
        "cover_thumbnail_url": None,
        "created_at": card["created_at"],
    }


def test_a_page_costs_a_fixed_number_of_queries_for_anonymous_callers(api_client, django_assert_num_queries):
    features = [FeatureFactory(slug=f"f{i}", name=f"F{i}") for i in range(3)]
    for i in range(25):
        ListingFactory(features=features, latitude=Decimal("-1.28") + i / Decimal(1000), longitude=Decimal("36.81"))

    # count (+ the planner's estimate on PostgreSQL), ids of the page, its rows, features of the page
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        response = api_client.get(f"{URL}?page_size=20&near=-1.28,36.81&radius_km=50&features=f1")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        response = api_client.get(f"{URL}?page_size=20&features=f1,f2&search=listing")
    assert len(response.json()["results"]) == 20
    assert all(r["features"] == ["f0", "f1", "f2"] for r in response.json()["results"])


def test_a_page_costs_a_bounded_number_of_queries_for_company_staff(
    client_for, staff_a, company_a, django_assert_num_queries
):
    for _ in range(5):
        ListingFactory(company=company_a, status="draft", is_published=False, features=[FeatureFactory()])
    for _ in range(20):
        ListingFactory(features=[FeatureFactory()])
    client = client_for(staff_a)

    # user with their staff companies (one query), then the page's queries
    with django_assert_num_queries(1 + SEARCH_PAGE_QUERIES):
        response = client.get(URL)

    assert response.json()["count"] == 25


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL full text and trigrams")
def test_postgres_full_text_weights_and_misspellings(api_client):
    ListingFactory(title="Sunset Apartments", description="Quiet", city="Nairobi")
    ListingFactory(title="Garden Cottage", description="Near the sunset strip", city="Nakuru")
    ListingFactory(title="Lake House", description="Views", city="Kisumu", address="Sunset Road")
    ListingFactory(title="Mountain Lodge", description="Cold", city="Nyeri")

    assert set(titles(api_client, "search=sunset")) == {"Sunset Apartments", "Garden Cottage", "Lake House"}
    assert titles(api_client, "search=apartment") == ["Sunset Apartments"]  # stemmed
    assert titles(api_client, "search=Appartments") == ["Sunset Apartments"]  # misspelled, trigram
    assert titles(api_client, "search=Kisumo") == ["Lake House"]  # a misspelled city
    assert set(titles(api_client, "search=sunsett")) == {"Lake House", "Sunset Apartments"}  # street, title
    assert titles(api_client, "search=sunset%20-cottage&ordering=price") != []
    assert "Garden Cottage" not in titles(api_client, "search=sunset%20-cottage")
    assert titles(api_client, "search=kisumu") == ["Lake House"]
    assert titles(api_client, "search=%22lake%20house%22") == ["Lake House"]
    # Newest first by default; by relevance the title (weight A) beats the address (B) and the description (C).
    assert titles(api_client, "search=sunset") == ["Lake House", "Garden Cottage", "Sunset Apartments"]
    assert titles(api_client, "search=sunset&ordering=relevance") == [
        "Sunset Apartments",
        "Lake House",
        "Garden Cottage",
    ]


def test_relevance_ranks_only_the_newest_matches_and_pages_no_deeper(api_client, monkeypatch):
    from domus.properties import selectors

    monkeypatch.setattr(selectors, "RELEVANCE_WINDOW", 2)
    for n in range(3):
        ListingFactory(title=f"Garden flat {n}", created_at=timezone.now() + timedelta(minutes=n))

    ranked = api_client.get(f"{URL}?search=garden&ordering=relevance&page_size=2")
    too_deep = api_client.get(f"{URL}?search=garden&ordering=relevance&page_size=2&page=2")

    assert ranked.status_code == 200
    body = ranked.json()
    assert body["count"] == 2
    assert body["total_pages"] == 1
    assert {item["title"] for item in body["results"]} == {"Garden flat 2", "Garden flat 1"}  # the newest two
    assert too_deep.status_code == 400
    assert "page" in too_deep.json()["errors"]
    assert api_client.get(f"{URL}?search=garden").json()["count"] == 3


@pytest.mark.parametrize(
    "query",
    ["ordering=relevance", "search=garden&ordering=relevance,-price", "search=garden&ordering=-relevance,price"],
)
def test_relevance_needs_a_search_and_orders_alone(api_client, query):
    response = api_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "ordering" in response.json()["errors"]


def test_a_nul_character_is_a_400_not_a_500_on_either_database(api_client, client_for, owner):
    searched = api_client.get(f"{URL}?search=a%00b")
    created = client_for(owner).post_json(URL, {"title": "Flat\u0000", "price": "100"})

    for response, field in ((searched, "search"), (created, "title")):
        assert response.status_code == 400
        assert response.json() == {
            "detail": "Text may not contain NUL (0x00) characters.",
            "code": "VALIDATION_ERROR",
            "errors": {field: ["Text may not contain NUL (0x00) characters."]},
        }
