"""The offline gazetteer: with no geocoder configured, ``POST /properties/geocode/``
answers from the towns shipped with the code and makes no network call (respx lets
none through)."""

import pytest
import respx

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/geocode/"


@pytest.fixture(autouse=True)
def _offline(settings) -> None:
    settings.GOOGLE_MAPS_API_KEY = ""
    settings.GEOCODER_URL = ""
    settings.RATE_LIMITS_ENABLED = False


@respx.mock(assert_all_called=False)
def test_a_city_is_found_offline(user_client):
    response = user_client.post_json(URL, {"address": "Kenyatta Avenue 1", "city": "Nairobi", "country": "KE"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["latitude"], body["longitude"]) == (-1.28333, 36.81667)
    assert body["formatted_address"] == "Kenyatta Avenue 1, Nairobi, Kenya"
    assert not respx.calls


@respx.mock(assert_all_called=False)
def test_the_town_is_read_from_the_address_when_the_city_is_unknown(user_client):
    response = user_client.post_json(URL, {"address": "Moi Avenue, Mombasa", "city": "Old Town", "country": "Kenya"})

    assert response.status_code == 200, response.content
    assert round(response.json()["latitude"], 2) == -4.05
    assert not respx.calls


def test_the_country_narrows_the_town(user_client):
    # There is a Nairobi only in Kenya, so asking for it in Tanzania finds nothing.
    response = user_client.post_json(URL, {"address": "Kenyatta Avenue", "city": "Nairobi", "country": "TZ"})

    assert response.status_code == 404
    assert response.json()["detail"] == "No location was found for this address."


def test_names_match_whatever_their_case_and_spacing(user_client):
    response = user_client.post_json(URL, {"address": "Oginga Odinga Street", "city": "  kisumu ", "country": "ke"})

    assert response.status_code == 200
    assert response.json()["formatted_address"] == "Oginga Odinga Street, Kisumu, Kenya"


def test_an_unknown_country_is_a_404_naming_it(user_client):
    response = user_client.post_json(URL, {"address": "Kenyatta Avenue", "city": "Nairobi", "country": "Atlantis"})

    assert response.status_code == 404
    assert "country" in response.json()["errors"]


def test_an_unknown_place_is_a_404(user_client):
    response = user_client.post_json(URL, {"address": "Nowhere Lane", "city": "Qwxzyville"})

    assert response.status_code == 404
