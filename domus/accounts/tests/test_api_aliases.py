"""The original systems' auth paths reach the canonical operations (the user, profile and
register aliases are tested with their resources)."""

import pytest
from django.core import mail

from domus.accounts.models import RefreshToken
from domus.accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/v1/auth/login/", "/api/v1/accounts/auth/token/"])
def test_login_aliases(api_client, user, path):
    response = api_client.post_json(path, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.id)


@pytest.mark.parametrize(
    ("refresh", "verify"),
    [("/api/token/refresh", "/api/token/verify"), ("/api/v1/auth/refresh", "/api/v1/auth/verify/")],
)
def test_refresh_and_verify_aliases(api_client, user, login, refresh, verify):
    tokens = login(user)

    rotated = api_client.post_json(refresh, {"refresh": tokens["refresh"]})

    assert rotated.status_code == 200
    assert api_client.post_json(verify, {"token": rotated.json()["access"]}).json() == {"valid": True}
    rotated_away = api_client.post_json(verify, {"token": tokens["refresh"]})
    assert rotated_away.status_code == 401
    assert rotated_away["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_change_password_alias(api_client, user, login):
    tokens = login(user)
    body = {"old_password": DEFAULT_PASSWORD, "new_password": "Alias-Route-Pass-9"}
    response = api_client.post_json("/api/v1/auth/change-password/", body, headers=bearer(tokens["access"]))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Alias-Route-Pass-9")
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_forgot_and_reset_password_aliases(api_client, user, sent, mail_token):
    forgot = sent(lambda: api_client.post_json("/api/v1/auth/forgot-password", {"email": user.email}))
    assert forgot.status_code == 200
    assert len(mail.outbox) == 1

    body = {"token": mail_token(user.email), "new_password": "Alias-Reset-Pass-9"}
    assert api_client.post_json("/api/v1/auth/reset-password/", body).status_code == 200
    user.refresh_from_db()
    assert user.check_password("Alias-Reset-Pass-9")


def test_logout_alias(api_client, user, login):
    tokens = login(user)
    response = api_client.post_json(
        "/api/auth/logout", {"refresh": tokens["refresh"]}, headers=bearer(tokens["access"])
    )
    assert response.status_code == 204
    assert api_client.post_json("/api/token/refresh", {"refresh": tokens["refresh"]}).status_code == 401
