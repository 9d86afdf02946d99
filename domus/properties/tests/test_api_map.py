"""Map: clusters grouped in the database on a grid sized by the zoom, single-listing
cells and small result sets as points, the search filters, bad input; low-zoom views
summed from the map roll-up (``MapGridCell``)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domus.properties import selectors
from domus.properties.caching import listing_cache_bump
from domus.properties.models import Listing, MapGridCell
from domus.properties.services import map_grid as services
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

MAP = f"{URL}map/"
# Around Nairobi; at zoom 10 a cell is 360 / 1024 / 4 = 0.0879 degrees.
VIEW = "bbox=36.0,-2.0,38.0,0.0"


@pytest.fixture
def few_points_limit(monkeypatch):
    monkeypatch.setattr(selectors, "MAP_POINTS_LIMIT", 3)


def place(lat: str, lng: str, price: str = "100000", **fields):
    return ListingFactory(latitude=Decimal(lat), longitude=Decimal(lng), price=Decimal(price), **fields)


def test_few_listings_come_back_as_points(api_client, draft_a):
    inside = place("-1.2864", "36.8172", title="CBD")
    place("-4.0435", "39.6682", title="Mombasa")  # outside the box

    response = api_client.get(f"{MAP}?{VIEW}&zoom=10")

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["clusters"], body["zoom"]) == (1, [], 10)
    assert body["cell_size_deg"] == pytest.approx(360 / 1024 / 4)
    assert body["points"] == [
        {
            "id": str(inside.id),
            "title": "CBD",
            "price": "100000.00",
            "currency": "KES",
            "property_type": "apartment",
            "listing_type": "sale",
            "latitude": -1.2864,
            "longitude": 36.8172,
        }
    ]


def test_many_listings_are_clustered_per_cell(api_client, few_points_limit, django_assert_num_queries):
    place("-1.2800", "36.8500", "100")
    place("-1.2900", "36.8600", "300")
    place("-1.3000", "36.8700", "200")
    lonely = place("-1.0000", "37.5000", "999", title="Lonely")

    # is the grid built? (no), total, cells, the single-listing cells' points
    with django_assert_num_queries(4):
        response = api_client.get(f"{MAP}?{VIEW}&zoom=10")

    body = response.json()
    assert body["total"] == 4
    assert len(body["clusters"]) == 1
    cluster = body["clusters"][0]
    assert (cluster["count"], cluster["min_price"], cluster["max_price"]) == (3, "100.00", "300.00")
    assert cluster["latitude"] == pytest.approx(-1.29)
    assert cluster["longitude"] == pytest.approx(36.86)
    assert [p["id"] for p in body["points"]] == [str(lonely.id)]


def test_a_lower_zoom_merges_cells(api_client, few_points_limit):
    place("-1.2800", "36.8100")
    place("-1.2900", "36.8200")
    place("-1.3000", "36.8300")
    place("-1.0000", "37.5000")

    body = api_client.get(f"{MAP}?{VIEW}&zoom=4").json()

    assert [c["count"] for c in body["clusters"]] == [4]
    assert body["points"] == []


def test_the_map_takes_the_search_filters(api_client, few_points_limit):
    for _ in range(4):
        place("-1.2800", "36.8100", property_type="house")
    place("-1.2800", "36.8100", property_type="land")

    body = api_client.get(f"{MAP}?{VIEW}&zoom=10&property_type=land").json()

    assert body["total"] == 1
    assert body["points"][0]["property_type"] == "land"


@pytest.mark.parametrize(
    ("query", "field"),
    [("zoom=10", "bbox"), (f"{VIEW}", "zoom"), (f"{VIEW}&zoom=23", "zoom"), ("bbox=1,2&zoom=3", "bbox")],
)
def test_bad_map_input_is_a_400(query, field, api_client):
    response = api_client.get(f"{MAP}?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def scatter(count: int = 30) -> None:
    """Listings around Nairobi and Nakuru, off every cell boundary, with different prices."""
    for i in range(count):
        centre = ("-1.2", "36.8") if i % 3 else ("-0.3", "36.07")
        lat = Decimal(centre[0]) - Decimal(i) / Decimal(997)
        lng = Decimal(centre[1]) + Decimal(i) / Decimal(1009)
        place(str(lat), str(lng), str(100000 + i * 1000))


@pytest.mark.parametrize("zoom", [4, 8, 10])
def test_low_zoom_clusters_from_the_grid_match_the_live_ones(
    api_client, few_points_limit, zoom, owner, django_capture_on_commit_callbacks
):
    scatter()
    place("-1.1", "36.9", "5", status="draft", is_published=False, owner=owner)  # never counted
    live = api_client.get(f"{MAP}?{VIEW}&zoom={zoom}").json()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.map_grid_rebuild() > 0
    listing_cache_bump()

    with CaptureQueriesContext(connection) as queries:
        grid = api_client.get(f"{MAP}?{VIEW}&zoom={zoom}").json()

    assert any("properties_mapgridcell" in q["sql"] for q in queries.captured_queries)
    assert (grid["total"], grid["points"]) == (live["total"], live["points"])
    assert [(c["count"], c["min_price"], c["max_price"]) for c in grid["clusters"]] == [
        (c["count"], c["min_price"], c["max_price"]) for c in live["clusters"]
    ]
    for mine, theirs in zip(grid["clusters"], live["clusters"], strict=True):
        assert mine["latitude"] == pytest.approx(theirs["latitude"])
        assert mine["longitude"] == pytest.approx(theirs["longitude"])


def test_the_grid_serves_only_unfiltered_low_zoom_views(
    api_client, few_points_limit, django_capture_on_commit_callbacks
):
    scatter()
    with django_capture_on_commit_callbacks(execute=True):
        services.map_grid_rebuild()
    ListingFactory.create_batch(5, latitude=Decimal("-1.25"), longitude=Decimal("36.85"), property_type="land")

    # Built before the land listings: filtered and closer views are computed live and see them.
    assert api_client.get(f"{MAP}?{VIEW}&zoom=10").json()["total"] == 30
    assert api_client.get(f"{MAP}?{VIEW}&zoom=10&property_type=land").json()["total"] == 5
    assert api_client.get(f"{MAP}?{VIEW}&zoom=11").json()["total"] == 35


def test_until_the_grid_is_built_the_map_is_computed_live(api_client, few_points_limit):
    scatter()
    assert not MapGridCell.objects.exists()
    assert api_client.get(f"{MAP}?{VIEW}&zoom=8").json()["total"] == 30

    # Built, it answers even when the cache has forgotten everything.
    services.map_grid_rebuild()
    ListingFactory.create_batch(5, latitude=Decimal("-1.25"), longitude=Decimal("36.85"))  # not in the grid yet
    cache.clear()
    assert api_client.get(f"{MAP}?{VIEW}&zoom=8").json()["total"] == 30
    assert api_client.get(f"{MAP}?{VIEW}&zoom=11").json()["total"] == 35  # live


def test_a_rebuild_replaces_the_grid(few_points_limit):
    scatter(10)
    first = services.map_grid_rebuild()
    Listing.objects.update(is_published=False)

    assert first > 0
    assert services.map_grid_rebuild() == 0
    assert not MapGridCell.objects.exists()
