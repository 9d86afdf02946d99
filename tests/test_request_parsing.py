"""What the API refuses before an operation runs: non-object JSON bodies, NUL characters,
bodies over the memory limit, broken multipart bodies and absurdly deep pages, each a
4xx in the error shape (never a 500, a 409 or a silent ``{}``)."""

import pytest
from django.contrib.auth import get_user_model

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.tests.factories import ListingFactory
from tests.test_errors import assert_error

ME = "/api/v1/accounts/me/"
NOTIFICATIONS = "/api/v1/communications/notifications/"


@pytest.mark.parametrize(
    ("body", "kind"), [("[]", "an array"), ('"x"', "a string"), ("3", "a number"), ("null", "null")]
)
@pytest.mark.django_db
def test_a_non_object_body_is_a_400_not_an_empty_object(user_client, user, body, kind):
    response = user_client.patch(ME, data=body, content_type="application/json")

    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert body["detail"] == "The request body must be a JSON object."
    assert body["errors"] == {"body": [f"Expected an object, got {kind}."]}


@pytest.mark.django_db
def test_a_nul_character_in_a_body_is_refused_on_every_database(user_client, user):
    last_name = user.last_name
    response = user_client.patch_json(ME, {"first_name": "Ann\u0000", "last_name": f"{last_name}-changed"})

    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert body["detail"] == "Text may not contain NUL (0x00) characters."
    assert body["errors"] == {"first_name": ["Text may not contain NUL (0x00) characters."]}
    user.refresh_from_db()
    assert "\x00" not in user.first_name
    assert get_user_model().objects.get(pk=user.pk).last_name == last_name


@pytest.mark.django_db
def test_a_nul_character_in_a_nested_key_or_the_query_is_refused(user_client):
    nested = user_client.patch_json(ME, {"profile": {"bio\u0000": "x"}})
    queried = user_client.get(f"{NOTIFICATIONS}?type=a%00b")

    assert assert_error(nested, 400, "VALIDATION_ERROR")["errors"] == {
        "profile.bio\\x00": ["Text may not contain NUL (0x00) characters."]
    }
    assert assert_error(queried, 400, "VALIDATION_ERROR")["errors"] == {
        "type": ["Text may not contain NUL (0x00) characters."]
    }


@pytest.mark.django_db
def test_a_body_over_the_memory_limit_is_a_413(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = '{"first_name": "' + "a" * 2000 + '"}'

    response = user_client.patch(ME, data=payload, content_type="application/json")

    body = assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert "1,000 bytes" in body["detail"]


@pytest.mark.django_db
def test_multipart_without_a_boundary_is_a_400(client_for):
    owner = UserFactory(role=Role.OWNER)
    listing = ListingFactory(owner=owner)

    response = client_for(owner).post(
        f"/api/v1/properties/{listing.pk}/media/", data=b"--x\r\n", content_type="multipart/form-data"
    )

    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert "multipart" in body["detail"].lower()


# The schema states the depth as maxima: offset/skip up to PAGINATION_MAX_OFFSET, page up
# to the page that starts that deep at the largest page size (100,000 / 100 + 1).
@pytest.mark.parametrize(
    ("query", "field", "limit"),
    [
        ("offset=100000000000000000000", "offset", "100000"),
        ("skip=100001", "skip", "100000"),
        ("page=100000000000000000000", "page", "1001"),
        ("page=5002&page_size=20", "page", "1001"),
    ],
)
@pytest.mark.django_db
def test_a_page_past_the_depth_limit_is_a_400_not_a_conflict(user_client, query, field, limit):
    body = assert_error(user_client.get(f"{NOTIFICATIONS}?{query}"), 400, "VALIDATION_ERROR")

    assert limit in body["errors"][field][0].replace(",", "")


@pytest.mark.django_db
def test_the_depth_limit_is_a_setting(user_client, settings):
    settings.PAGINATION_MAX_OFFSET = 40

    assert user_client.get(f"{NOTIFICATIONS}?offset=40").status_code == 200
    assert_error(user_client.get(f"{NOTIFICATIONS}?page=4&page_size=20"), 400, "VALIDATION_ERROR")
