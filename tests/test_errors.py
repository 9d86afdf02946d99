"""Every failure answers {"detail", "code", "errors"} with the right status."""

import json
import logging
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from domus.core.exceptions import ErrorCode


def assert_error(response, status: int, code: ErrorCode) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == code
    assert body["detail"]
    return body


@pytest.mark.django_db
def test_validation_error_lists_field_errors(api_client):
    response = api_client.post_json("/api/v1/accounts/auth/token/", {"email": "a@b.co"})
    body = assert_error(response, 400, ErrorCode.VALIDATION_ERROR)
    assert list(body["errors"]) == ["password"]


@pytest.mark.django_db
def test_malformed_json_is_a_400(api_client):
    response = api_client.post("/api/v1/accounts/auth/token/", data="{not json", content_type="application/json")
    body = assert_error(response, 400, ErrorCode.VALIDATION_ERROR)
    assert "JSON" in body["detail"]


@pytest.mark.django_db
def test_missing_token_is_a_401(api_client):
    assert_error(api_client.get("/api/v1/accounts/me/"), 401, ErrorCode.AUTHENTICATION_ERROR)


@pytest.mark.django_db
def test_garbage_token_is_a_401(api_client):
    response = api_client.get("/api/v1/accounts/me/", headers={"Authorization": "Bearer not.a.jwt"})
    assert_error(response, 401, ErrorCode.AUTHENTICATION_ERROR)


@pytest.mark.django_db
def test_expired_token_is_a_401_that_says_so(api_client, user):
    past = timezone.now() - timedelta(hours=1)
    claims = {"sub": str(user.pk), "type": "access", "jti": "x", "iat": past, "exp": past + timedelta(minutes=1)}
    token = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)
    response = api_client.get("/api/v1/accounts/me/", headers={"Authorization": f"Bearer {token}"})
    body = assert_error(response, 401, ErrorCode.AUTHENTICATION_ERROR)
    assert "expired" in body["detail"]


@pytest.mark.django_db
def test_refresh_token_is_not_an_access_token(api_client, user):
    from domus.accounts.tokens import issue_pair

    response = api_client.get("/api/v1/accounts/me/", headers={"Authorization": f"Bearer {issue_pair(user).refresh}"})
    assert_error(response, 401, ErrorCode.AUTHENTICATION_ERROR)


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nope", "/api/v1/accounts/nope/deeper"])
@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api_client, path):
    assert_error(api_client.get(path), 404, ErrorCode.NOT_FOUND_ERROR)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.django_db
def test_writing_to_an_unknown_api_path_is_a_404_not_a_csrf_403(method):
    browser_like = Client(enforce_csrf_checks=True)  # as a real client: the test client skips CSRF checks

    response = getattr(browser_like, method)("/api/v1/accounts/login/", data={}, content_type="application/json")

    assert_error(response, 404, ErrorCode.NOT_FOUND_ERROR)


@pytest.mark.django_db
def test_wrong_method_is_a_405_with_allow(user_client):
    response = user_client.delete("/api/v1/accounts/me/")
    assert_error(response, 405, ErrorCode.METHOD_NOT_ALLOWED)
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("forbidden", 403, ErrorCode.PERMISSION_ERROR),
        ("conflict", 409, ErrorCode.CONFLICT_ERROR),
        ("integrity", 409, ErrorCode.CONFLICT_ERROR),
        ("django-validation", 400, ErrorCode.VALIDATION_ERROR),
        ("unavailable", 503, ErrorCode.SERVICE_UNAVAILABLE),
    ],
)
@pytest.mark.django_db
def test_service_errors_map_to_status_and_code(contract, api_client, kind, status, code):
    body = assert_error(api_client.get(f"/api/v1/contract/boom/{kind}/"), status, code)
    if kind == "django-validation":
        assert body["errors"] == {"price": ["Must be positive."]}


@pytest.mark.django_db
def test_unhandled_error_is_a_500_without_internals_and_is_logged(contract, api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="domus.errors"):
        response = api_client.get("/api/v1/contract/boom/crash/", headers={"X-Request-ID": "req-crash-1"})
    body = assert_error(response, 500, ErrorCode.INTERNAL_ERROR)
    assert "secret internals" not in json.dumps(body)
    assert "Traceback" not in response.content.decode()
    assert "req-crash-1" in body["detail"]
    record = next(r for r in caplog.records if r.name == "domus.errors")
    assert record.exc_info is not None
    assert record.request_id == "req-crash-1"


@pytest.mark.django_db
def test_throttled_is_a_429_with_retry_after(user_client, rate_limits):
    rate_limits(read="2/h")
    for _ in range(2):
        assert user_client.get("/api/v1/accounts/me/").status_code == 200
    response = user_client.get("/api/v1/accounts/me/")
    assert_error(response, 429, ErrorCode.RATE_LIMIT_ERROR)
    assert 1 <= int(response["Retry-After"]) <= 3600
