"""Every 401 names its scheme (``WWW-Authenticate: Bearer``, RFC 6750), with
``error="invalid_token"`` for a bad token sent; a malformed ``Authorization`` header is a
401 (also where anonymous callers are welcome), never a log line at ERROR."""

import logging

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import ErrorCode

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me/"
LISTINGS = "/api/v1/properties/"  # public: richer for a signed-in caller


def test_no_token_is_a_401_with_a_bare_bearer_challenge(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == ErrorCode.AUTHENTICATION_ERROR


@pytest.mark.parametrize("path", [ME, LISTINGS, "/api/auth/me"])
def test_a_bad_token_is_a_401_with_invalid_token(api_client, path):
    response = api_client.get(path, headers={"Authorization": "Bearer not.a.jwt"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_of_an_inactive_user_is_invalid_token(client_for):
    user = UserFactory(is_active=False)

    response = client_for(user).get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("header", ["Token abc", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "bearer"])
@pytest.mark.parametrize("path", [ME, LISTINGS])
def test_a_malformed_authorization_header_is_a_401_not_an_error_log(api_client, caplog, settings, header, path):
    settings.DEBUG = True  # Ninja's own bearer logged these at ERROR in DEBUG and went on anonymous

    with caplog.at_level(logging.INFO):
        response = api_client.get(path, headers={"Authorization": header})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_request"'
    assert "Bearer <access token>" in response.json()["detail"]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_wrong_credentials_at_login_name_the_scheme_without_a_token_error(api_client, user):
    response = api_client.post_json("/api/v1/accounts/auth/token/", {"email": user.email, "password": "wrong"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_valid_token_passes(client_for, user):
    response = client_for(user).get(ME)

    assert response.status_code == 200
    assert "WWW-Authenticate" not in response
