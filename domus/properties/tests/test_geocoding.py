"""Geocoding: ``POST /properties/geocode/`` and the listing geocoding job, with both
providers faked at the HTTP boundary (respx), so the real adapter code runs."""

import logging
from decimal import Decimal

import httpx
import pytest
import respx
from celery.exceptions import Retry
from django.apps import apps

from domus.core.exceptions import ServiceUnavailable
from domus.integrations.geocoding import GOOGLE_GEOCODE_URL
from domus.properties.caching import listing_cache_version
from domus.properties.geocoding import geocode_listing, listing_geocode
from domus.properties.models import Listing
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/geocode/"
NOMINATIM = "https://geocoder.test"
NOMINATIM_SEARCH = f"{NOMINATIM}/search"
BODY = {"address": "Kenyatta Avenue 1", "city": "Nairobi", "country": "KE"}
NOMINATIM_HIT = [{"lat": "-1.2863890", "lon": "36.8172230", "display_name": "Kenyatta Avenue, Nairobi, Kenya"}]
GOOGLE_HIT = {
    "status": "OK",
    "results": [
        {
            "formatted_address": "Kenyatta Ave, Nairobi, Kenya",
            "geometry": {"location": {"lat": -1.2841, "lng": 36.8155}},
        }
    ],
}


@pytest.fixture(autouse=True)
def _nominatim(settings) -> None:
    settings.GOOGLE_MAPS_API_KEY = ""
    settings.GEOCODER_URL = NOMINATIM
    settings.GEOCODER_USER_AGENT = "domus-tests/1.0 (ops@example.test)"
    settings.GEOCODER_TIMEOUT = 2.5
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def google(settings) -> None:
    settings.GOOGLE_MAPS_API_KEY = "test-key"


def audit_rows(listing: Listing, action: str):
    return apps.get_model("audit", "AuditLog").objects.filter(resource_id=str(listing.pk), action=action)


# The API: Nominatim -----------------------------------------------------------------------


@respx.mock
def test_geocode_with_nominatim_answers_coordinates_and_maps_url(user_client):
    route = respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "latitude": -1.286389,
        "longitude": 36.817223,
        "formatted_address": "Kenyatta Avenue, Nairobi, Kenya",
        "maps_url": "https://www.google.com/maps/search/?api=1&query=-1.286389%2C36.817223",
    }
    sent = route.calls.last.request
    assert sent.url.params["q"] == "Kenyatta Avenue 1, Nairobi"
    assert sent.url.params["countrycodes"] == "ke"
    assert sent.url.params["format"] == "jsonv2"
    assert sent.headers["User-Agent"] == "domus-tests/1.0 (ops@example.test)"
    assert sent.extensions["timeout"]["read"] == 2.5


@respx.mock
def test_a_country_name_goes_into_the_query_text(user_client):
    route = respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))

    response = user_client.post_json(URL, {"address": "Moi Avenue", "city": "Mombasa", "country": "Kenya"})

    assert response.status_code == 200
    params = route.calls.last.request.url.params
    assert params["q"] == "Moi Avenue, Mombasa, Kenya"
    assert "countrycodes" not in params


@respx.mock
def test_nominatim_without_a_match_is_a_404(user_client):
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=[]))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No location was found for this address.",
        "code": "NOT_FOUND_ERROR",
        "errors": {},
    }


@pytest.mark.parametrize("status", [500, 502, 503, 429, 403])
@respx.mock
def test_nominatim_failure_status_is_a_503(user_client, status):
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(status, text="busy"))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.ConnectError("refused")],
    ids=["read-timeout", "connect-timeout", "connect-error"],
)
@respx.mock
def test_nominatim_timeout_or_unreachable_is_a_503(user_client, failure):
    respx.get(NOMINATIM_SEARCH).mock(side_effect=failure)

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"error": "odd"}),
        httpx.Response(200, json=[{"lat": "north", "lon": "1"}]),
        httpx.Response(200, json=[{"lat": "95.0", "lon": "1"}]),
    ],
    ids=["html", "object", "unreadable-number", "out-of-range"],
)
@respx.mock
def test_nominatim_garbage_is_a_503_never_a_500(user_client, reply):
    respx.get(NOMINATIM_SEARCH).mock(return_value=reply)

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 503


@respx.mock
def test_a_cached_address_makes_no_second_provider_call(user_client):
    route = respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))

    first = user_client.post_json(URL, BODY)
    # Same address, different spacing and case: the same cache entry.
    second = user_client.post_json(URL, {"address": "  kenyatta   AVENUE 1 ", "city": "NAIROBI", "country": "ke"})

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert route.call_count == 1


@respx.mock
def test_not_found_is_not_cached(user_client):
    route = respx.get(NOMINATIM_SEARCH).mock(
        side_effect=[httpx.Response(200, json=[]), httpx.Response(200, json=NOMINATIM_HIT)]
    )

    assert user_client.post_json(URL, BODY).status_code == 404
    assert user_client.post_json(URL, BODY).status_code == 200
    assert route.call_count == 2


# The API: Google ---------------------------------------------------------------------------


@respx.mock
def test_geocode_with_google_when_a_key_is_set(user_client, google):
    nominatim = respx.get(NOMINATIM_SEARCH)
    route = respx.get(GOOGLE_GEOCODE_URL).mock(return_value=httpx.Response(200, json=GOOGLE_HIT))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "latitude": -1.2841,
        "longitude": 36.8155,
        "formatted_address": "Kenyatta Ave, Nairobi, Kenya",
        "maps_url": "https://www.google.com/maps/search/?api=1&query=-1.284100%2C36.815500",
    }
    params = route.calls.last.request.url.params
    assert params["key"] == "test-key"
    assert params["address"] == "Kenyatta Avenue 1, Nairobi"
    assert params["components"] == "country:KE"
    assert not nominatim.called


@respx.mock
def test_google_zero_results_is_a_404(user_client, google):
    respx.get(GOOGLE_GEOCODE_URL).mock(return_value=httpx.Response(200, json={"status": "ZERO_RESULTS", "results": []}))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 404
    assert response.json()["detail"] == "No location was found for this address."


@respx.mock
def test_google_invalid_request_is_a_400(user_client, google):
    respx.get(GOOGLE_GEOCODE_URL).mock(return_value=httpx.Response(200, json={"status": "INVALID_REQUEST"}))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 400
    assert response.json()["errors"] == {"address": ["Invalid address."]}


@pytest.mark.parametrize("status", ["OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT", "REQUEST_DENIED", "UNKNOWN_ERROR"])
@respx.mock
def test_google_quota_or_refusal_is_a_503(user_client, google, status):
    respx.get(GOOGLE_GEOCODE_URL).mock(return_value=httpx.Response(200, json={"status": status, "results": []}))

    response = user_client.post_json(URL, BODY)

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


@respx.mock
def test_google_server_error_and_timeout_are_503(user_client, google):
    respx.get(GOOGLE_GEOCODE_URL).mock(side_effect=[httpx.Response(500), httpx.ReadTimeout("slow")])

    assert user_client.post_json(URL, BODY).status_code == 503
    assert user_client.post_json(URL, BODY).status_code == 503


@respx.mock
def test_google_answer_is_cached(user_client, google):
    route = respx.get(GOOGLE_GEOCODE_URL).mock(return_value=httpx.Response(200, json=GOOGLE_HIT))

    user_client.post_json(URL, BODY)
    response = user_client.post_json(URL, BODY)

    assert response.status_code == 200
    assert response.json()["latitude"] == -1.2841
    assert route.call_count == 1


# The API: input, auth, throttle --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"city": "Nairobi"}, "address"),
        ({"address": "Moi Avenue"}, "city"),
        ({"address": "   ", "city": "Nairobi"}, "address"),
        ({"address": "Moi Avenue", "city": ""}, "city"),
        ({"address": "x" * 256, "city": "Nairobi"}, "address"),
    ],
)
@respx.mock
def test_bad_input_is_a_400_without_calling_the_provider(user_client, body, field):
    route = respx.get(NOMINATIM_SEARCH)

    response = user_client.post_json(URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["errors"]
    assert not route.called


@respx.mock
def test_malformed_json_is_a_400(user_client):
    response = user_client.post(URL, data="{nope", content_type="application/json")

    assert response.status_code == 400


@respx.mock
def test_geocode_needs_a_token(api_client):
    route = respx.get(NOMINATIM_SEARCH)

    response = api_client.post(URL, data=BODY, content_type="application/json")

    assert response.status_code == 401
    assert not route.called


@respx.mock
def test_geocode_is_limited_by_the_write_budget(user_client, settings, rate_limits):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(write="2/m")
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))

    codes = [user_client.post_json(URL, BODY).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


# The listing job --------------------------------------------------------------------------------


def unplaced_listing(**fields) -> Listing:
    return ListingFactory(address="Kenyatta Avenue 1", city="Nairobi", country="KE", **fields)


@respx.mock
def test_task_stores_coordinates_of_a_listing_without_them():
    listing = unplaced_listing()
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))

    geocode_listing.delay(str(listing.pk))

    listing.refresh_from_db()
    assert (listing.latitude, listing.longitude) == (Decimal("-1.286389"), Decimal("36.817223"))
    audit = audit_rows(listing, "geocode").get()
    assert audit.actor_id is None
    assert audit.changes["latitude"]["before"] is None
    assert set(audit.changes) == {"latitude", "longitude"}


@respx.mock
def test_geocoded_coordinates_make_cached_maps_and_facets_stale(django_capture_on_commit_callbacks):
    listing = unplaced_listing()
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))
    version = listing_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        listing_geocode(listing_id=listing.pk)

    assert listing_cache_version() == version + 1


@respx.mock
def test_service_leaves_a_listing_with_coordinates_alone():
    listing = unplaced_listing(latitude=Decimal("1.000000"), longitude=Decimal("2.000000"))
    route = respx.get(NOMINATIM_SEARCH)

    assert listing_geocode(listing_id=listing.pk) == listing

    listing.refresh_from_db()
    assert (listing.latitude, listing.longitude) == (Decimal("1.000000"), Decimal("2.000000"))
    assert not route.called
    assert not audit_rows(listing, "geocode").exists()


@respx.mock
def test_service_ignores_deleted_and_missing_listings():
    listing = unplaced_listing()
    Listing.all_objects.filter(pk=listing.pk).update(deleted_at=listing.created_at)
    route = respx.get(NOMINATIM_SEARCH)

    assert listing_geocode(listing_id=listing.pk) is None
    assert listing_geocode(listing_id="0190f5a0-0000-7000-8000-000000000000") is None

    assert Listing.all_objects.get(pk=listing.pk).latitude is None
    assert not route.called


@respx.mock
def test_service_skips_a_listing_without_an_address():
    listing = ListingFactory(address="", city="", country="")
    route = respx.get(NOMINATIM_SEARCH)

    listing_geocode(listing_id=listing.pk)

    assert not route.called


@respx.mock
def test_unknown_address_leaves_the_listing_unplaced(caplog):
    listing = unplaced_listing()
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=[]))

    with caplog.at_level(logging.INFO, logger="domus.properties.geocoding"):
        listing_geocode(listing_id=listing.pk)

    listing.refresh_from_db()
    assert listing.latitude is None
    assert not audit_rows(listing, "geocode").exists()
    assert "listing address not geocoded" in caplog.text


@respx.mock
def test_service_logs_a_provider_outage_without_raising(caplog):
    listing = unplaced_listing()
    respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(503))

    with caplog.at_level(logging.WARNING, logger="domus.properties.geocoding"):
        assert listing_geocode(listing_id=listing.pk) == listing

    listing.refresh_from_db()
    assert listing.latitude is None
    assert "geocoding provider unavailable" in caplog.text


@respx.mock
def test_service_raises_an_outage_when_asked_to():
    listing = unplaced_listing()
    respx.get(NOMINATIM_SEARCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ServiceUnavailable):
        listing_geocode(listing_id=listing.pk, raise_on_outage=True)


@respx.mock
def test_eager_task_logs_an_outage_once_and_does_not_fail():
    listing = unplaced_listing()
    route = respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(500))

    geocode_listing.delay(str(listing.pk))

    listing.refresh_from_db()
    assert listing.latitude is None
    assert route.call_count == 1


@respx.mock
def test_worker_task_retries_an_outage():
    listing = unplaced_listing()
    route = respx.get(NOMINATIM_SEARCH).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=NOMINATIM_HIT)])
    # As a worker runs it: not eager, first attempt. The retry itself runs eagerly in tests.
    geocode_listing.push_request(
        id="geocode-1", called_directly=False, is_eager=False, retries=0, args=[str(listing.pk)], kwargs={}
    )
    try:
        with pytest.raises(Retry):
            geocode_listing.run(str(listing.pk))
    finally:
        geocode_listing.pop_request()

    assert route.call_count == 2
    listing.refresh_from_db()
    assert listing.latitude == Decimal("-1.286389")


@respx.mock
def test_worker_task_gives_up_quietly_after_the_last_retry():
    listing = unplaced_listing()
    route = respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(503))
    geocode_listing.push_request(
        id="geocode-2", called_directly=False, is_eager=False, retries=geocode_listing.max_retries
    )
    try:
        geocode_listing.run(str(listing.pk))
    finally:
        geocode_listing.pop_request()

    assert route.call_count == 1
    listing.refresh_from_db()
    assert listing.latitude is None


# Listings created through the API ------------------------------------------------------------

NEW_LISTING = {
    "name": "Kenyatta House",
    "address": "Kenyatta Avenue 1",
    "city": "Nairobi",
    "country": "KE",
    "price": 1000,
}


@respx.mock
def test_a_listing_created_without_coordinates_is_geocoded_after_commit(
    client_for, owner, settings, django_capture_on_commit_callbacks
):
    settings.GEOCODE_NEW_LISTINGS = True
    route = respx.get(NOMINATIM_SEARCH).mock(return_value=httpx.Response(200, json=NOMINATIM_HIT))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post_json("/api/v1/properties/", NEW_LISTING)

    assert response.status_code == 201, response.content
    listing = Listing.objects.get(pk=response.json()["id"])
    assert (listing.latitude, listing.longitude) == (Decimal("-1.286389"), Decimal("36.817223"))
    assert route.call_count == 1
    detail = client_for(owner).get(f"/api/v1/properties/{listing.pk}/").json()
    assert detail["maps_url"].endswith("query=-1.286389%2C36.817223")


@respx.mock
def test_a_listing_created_with_coordinates_is_not_geocoded(
    client_for, owner, settings, django_capture_on_commit_callbacks
):
    settings.GEOCODE_NEW_LISTINGS = True
    route = respx.get(NOMINATIM_SEARCH)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post_json("/api/v1/properties/", {**NEW_LISTING, "latitude": 1, "longitude": 2})

    assert response.status_code == 201
    assert route.call_count == 0
