from datetime import timedelta

import pytest
from django.utils import timezone

from domus.core.models import IdempotencyRecord


@pytest.fixture
def records(db):
    now = timezone.now()
    return IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(
            scope="s", key=f"key-{i:02d}", request_hash="h", created_at=now - timedelta(days=i), expires_at=now
        )
        for i in range(45)
    )


def test_page_style(contract, api_client, records):
    body = api_client.get("/api/v1/contract/records/?page=2&page_size=20").json()
    assert body["count"] == 45
    assert body["page"] == 2
    assert body["total_pages"] == 3
    assert [r["key"] for r in body["results"]] == [f"key-{i:02d}" for i in range(20, 40)]
    assert body["next"].endswith("/api/v1/contract/records/?page=3&page_size=20")
    assert body["previous"].endswith("?page=1&page_size=20")


def test_default_page_size_is_20_and_last_page_has_no_next(contract, api_client, records):
    first = api_client.get("/api/v1/contract/records/").json()
    assert len(first["results"]) == 20
    assert first["previous"] is None
    last = api_client.get("/api/v1/contract/records/?page=3").json()
    assert len(last["results"]) == 5
    assert last["next"] is None


@pytest.mark.parametrize("offset_param", ["offset", "skip"])
def test_limit_offset_style(contract, api_client, records, offset_param):
    body = api_client.get(f"/api/v1/contract/records/?limit=10&{offset_param}=40").json()
    assert [r["key"] for r in body["results"]] == [f"key-{i:02d}" for i in range(40, 45)]
    assert body["count"] == 45
    assert body["page"] == 5
    assert body["next"] is None
    assert body["previous"].endswith("limit=10&offset=30")


@pytest.mark.parametrize("query", ["page=0", "page_size=101", "limit=0", "offset=-1", "page=abc"])
def test_bad_paging_is_a_400(contract, api_client, records, query):
    response = api_client.get(f"/api/v1/contract/records/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"]


def test_search_and_ordering(contract, api_client, records):
    body = api_client.get("/api/v1/contract/records/?search=KEY-1&ordering=-key").json()
    assert [r["key"] for r in body["results"]] == [f"key-{i}" for i in range(19, 9, -1)]


def test_unknown_ordering_field_is_a_400_naming_the_allowed_ones(contract, api_client, records):
    response = api_client.get("/api/v1/contract/records/?ordering=request_hash")
    assert response.status_code == 400
    assert "created_at, key" in response.json()["errors"]["ordering"][0]


def test_created_after_and_before_accept_dates(contract, api_client, records):
    today = timezone.now().date()
    after = api_client.get(f"/api/v1/contract/records/?created_after={today - timedelta(days=2)}").json()
    assert after["count"] == 3
    before = api_client.get(f"/api/v1/contract/records/?created_before={today - timedelta(days=43)}").json()
    assert before["count"] == 2
    dt = (timezone.now() - timedelta(days=1, hours=1)).isoformat().replace("+00:00", "Z")
    assert api_client.get(f"/api/v1/contract/records/?created_after={dt}").json()["count"] == 2
    assert api_client.get("/api/v1/contract/records/?created_after=yesterday").status_code == 400
