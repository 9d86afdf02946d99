"""HTTP conventions integrators expect: HEAD and OPTIONS on every GET route, and CORS for
the origins of ``CORS_ALLOWED_ORIGINS``."""

import pytest

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"


# HEAD ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/ops/health/", "/api/v1/properties/", "/api/properties", "/api/health", "/api/schema/"]
)
def test_head_is_get_without_the_body(api_client, path):
    got = api_client.get(path)
    head = api_client.head(path)

    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(got.content) > 0
    assert head["Content-Type"] == got["Content-Type"]


def test_head_follows_the_authentication_of_get(api_client, user_client, user):
    assert api_client.head("/api/v1/accounts/me/").status_code == 401

    response = user_client.head("/api/v1/accounts/me/")

    assert response.status_code == 200
    assert response.content == b""
    assert int(response["Content-Length"]) == len(user_client.get("/api/v1/accounts/me/").content)


def test_head_of_a_path_without_get_is_a_405(api_client):
    response = api_client.head("/api/v1/accounts/auth/token/")

    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"


def test_head_counts_against_the_read_budget(api_client, rate_limits):
    rate_limits(read="1/m")

    assert api_client.head("/api/v1/properties/").status_code == 200
    assert api_client.head("/api/v1/properties/").status_code == 429


# OPTIONS -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/properties/", "GET, HEAD, POST, OPTIONS"),
        ("/api/v1/accounts/me/", "GET, HEAD, PUT, PATCH, OPTIONS"),
        ("/api/v1/ops/health/ready", "GET, HEAD, OPTIONS"),
        ("/api/stores/", "GET, HEAD, POST, OPTIONS"),
        ("/api/v1/accounts/auth/token/", "POST, OPTIONS"),
        ("/api/schema/", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_answers_the_methods_of_the_path_without_a_token(api_client, path, allow):
    response = api_client.options(path)

    assert response.status_code == 204
    assert response["Allow"] == allow
    assert response.content == b""


def test_options_of_an_unknown_path_is_a_404(api_client):
    response = api_client.options("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND_ERROR"


def test_a_405_lists_head_and_options_too(user_client):
    response = user_client.delete("/api/v1/accounts/me/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, PUT, PATCH, OPTIONS"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


# CORS ----------------------------------------------------------------------------------


def test_no_cross_origin_access_by_default(api_client):
    response = api_client.get("/api/v1/ops/health/", headers={"Origin": APP})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_an_allowed_origin_reads_the_api_and_its_headers(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]

    response = api_client.get("/api/v1/properties/", headers={"Origin": APP})

    assert response["Access-Control-Allow-Origin"] == APP
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "x-ratelimit-remaining", "retry-after", "www-authenticate"} <= exposed
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, never cookies


def test_an_allowed_origin_passes_the_preflight_of_an_authenticated_write(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]

    response = api_client.options(
        "/api/v1/crm/leads/",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed


def test_another_origin_is_not_allowed(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]

    response = api_client.get("/api/v1/ops/health/", headers={"Origin": "https://evil.example.net"})

    assert "Access-Control-Allow-Origin" not in response


def test_cors_stays_off_outside_the_api(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]

    response = api_client.get("/admin/login/", headers={"Origin": APP})

    assert "Access-Control-Allow-Origin" not in response
