"""The listing search pages through at most its first 10,000 results; deeper pages
answer a 400 that suggests filters."""

import pytest

from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["page=101&page_size=100", "page=501", "offset=9950&limit=51", "skip=10000&limit=1", "offset=9981"],
)
def test_pages_beyond_10000_results_are_400(query, api_client):
    response = api_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "add filters" in body["detail"]
    assert "page" in body["errors"]


@pytest.mark.parametrize("query", ["page=100&page_size=100", "page=500", "offset=9900&limit=100", "skip=9980"])
def test_the_last_allowed_pages_answer(query, api_client):
    ListingFactory()

    response = api_client.get(f"{URL}?{query}")

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["count"] == 1
