"""``GET /analytics/stats/price-trends/``: the period and filter parameters. (The
numbers themselves are tested with listings in domus/properties/tests/test_stats.py.)"""

from datetime import date

import pytest
from django.utils import timezone

from domus.properties.stats import PROPERTY_TYPES

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/stats/price-trends/"


def test_default_period_is_the_last_twelve_months(user_client):
    today = timezone.now().date()

    response = user_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    start = date.fromisoformat(body["start_date"])
    assert body["end_date"] == today.isoformat()
    assert start.day == 1
    assert (today.year * 12 + today.month) - (start.year * 12 + start.month) == 11
    assert body["results"] == []


def test_only_an_end_date_counts_twelve_months_back_from_it(user_client):
    response = user_client.get(URL, {"end_date": "2026-03-10"})

    assert response.status_code == 200
    assert (response.json()["start_date"], response.json()["end_date"]) == ("2025-04-01", "2026-03-10")


def test_start_after_end_is_a_400(user_client):
    response = user_client.get(URL, {"start_date": "2026-03-01", "end_date": "2026-02-28"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The start date is after the end date.",
        "code": "VALIDATION_ERROR",
        "errors": {"start_date": ["Must be on or before end_date."]},
    }


def test_a_period_over_ten_years_is_a_400(user_client):
    response = user_client.get(URL, {"start_date": "2000-01-01", "end_date": "2026-01-01"})

    assert response.status_code == 400
    assert "start_date" in response.json()["errors"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-02-30"}, "end_date"),
        ({"property_type": "castle"}, "property_type"),
        ({"location": "x" * 101}, "location"),
    ],
)
def test_bad_parameters_are_a_400(user_client, params, field):
    response = user_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["errors"]


def test_unknown_property_type_lists_the_valid_ones(user_client):
    response = user_client.get(URL, {"property_type": "castle"})

    assert response.json()["errors"]["property_type"] == [
        f"Unknown property type; one of: {', '.join(PROPERTY_TYPES)}."
    ]
    assert "apartment" in PROPERTY_TYPES


def test_blank_filters_mean_no_filter(user_client):
    response = user_client.get(URL, {"location": "  ", "property_type": ""})

    assert response.status_code == 200
    assert (response.json()["location"], response.json()["property_type"]) == (None, None)


def test_needs_a_token(api_client):
    assert api_client.get(URL).status_code == 401
