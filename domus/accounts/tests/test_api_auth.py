"""Login (by username or e-mail), lockout, the auth throttle, refresh rotation, logout
and verify."""

import time
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from domus.accounts.models import RefreshToken
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.exceptions import ErrorCode

LOGIN = "/api/v1/accounts/auth/token/"
REFRESH = "/api/v1/accounts/auth/token/refresh/"
VERIFY = "/api/v1/accounts/auth/token/verify/"
LOGOUT = "/api/v1/accounts/auth/logout/"
ME = "/api/v1/accounts/me/"

pytestmark = pytest.mark.django_db


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


# Login -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["username", "email"])
def test_login_by_username_or_email(api_client, user, audit_log, field):
    response = api_client.post_json(LOGIN, {field: getattr(user, field), "password": DEFAULT_PASSWORD})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["user"]["id"] == str(user.id)
    assert api_client.get(ME, headers=bearer(body["access"])).json()["email"] == user.email
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert audit_log.objects.filter(action="login", resource_id=str(user.id), actor=user).exists()


def test_login_ignores_the_case_of_the_email_and_the_email_key_takes_a_username(api_client, user):
    assert api_client.post_json(LOGIN, {"email": user.email.upper(), "password": DEFAULT_PASSWORD}).status_code == 200
    assert api_client.post_json(LOGIN, {"email": user.username, "password": DEFAULT_PASSWORD}).status_code == 200


def test_an_email_login_is_never_shadowed_by_a_username(api_client, user):
    # A legacy username that looks like the user's e-mail (new usernames cannot hold "@").
    UserFactory(username=user.email.upper(), email="other@example.test")
    assert api_client.post_json(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200


@pytest.mark.parametrize("identifier", ["known", "unknown"])
def test_a_wrong_password_or_unknown_user_is_the_same_401(api_client, user, audit_log, identifier):
    name = user.username if identifier == "known" else "nobody"
    response = api_client.post_json(LOGIN, {"username": name, "password": "wrong-password"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid credentials.", "code": ErrorCode.AUTHENTICATION_ERROR, "errors": {}}
    assert not RefreshToken.objects.exists()
    assert audit_log.objects.filter(action="login_failed").count() == 1


def test_an_inactive_user_cannot_log_in(api_client):
    inactive = UserFactory(is_active=False)
    response = api_client.post_json(LOGIN, {"username": inactive.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert "not active" in response.json()["detail"]
    assert not RefreshToken.objects.exists()


# Lockout -----------------------------------------------------------------------------


def fail(api_client, user, times: int) -> list[int]:
    body = {"username": user.username, "password": "wrong-password"}
    return [api_client.post_json(LOGIN, body).status_code for _ in range(times)]


def test_five_failed_logins_lock_the_account_whatever_the_password(api_client, user, settings):
    assert settings.LOGIN_MAX_FAILURES == 5
    assert fail(api_client, user, 5) == [401] * 5

    response = api_client.post_json(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    assert response.json()["code"] == ErrorCode.RATE_LIMIT_ERROR
    assert "Too many failed login attempts" in response.json()["detail"]
    assert 1 <= int(response["Retry-After"]) <= settings.LOGIN_LOCKOUT_SECONDS
    assert not RefreshToken.objects.exists()


def test_the_lockout_is_per_account(api_client, user):
    other = UserFactory()
    fail(api_client, user, 5)
    assert api_client.post_json(LOGIN, {"username": other.username, "password": DEFAULT_PASSWORD}).status_code == 200


def test_a_successful_login_resets_the_failure_count(api_client, user):
    ok = {"username": user.username, "password": DEFAULT_PASSWORD}
    assert fail(api_client, user, 4) == [401] * 4
    assert api_client.post_json(LOGIN, ok).status_code == 200
    assert fail(api_client, user, 4) == [401] * 4
    assert api_client.post_json(LOGIN, ok).status_code == 200


def test_the_lockout_ends_after_its_cool_down(api_client, user, settings):
    settings.LOGIN_LOCKOUT_SECONDS = 1
    fail(api_client, user, 5)
    ok = {"username": user.username, "password": DEFAULT_PASSWORD}
    assert api_client.post_json(LOGIN, ok).status_code == 429

    time.sleep(1.2)

    assert api_client.post_json(LOGIN, ok).status_code == 200


# The auth throttle -------------------------------------------------------------------


def test_the_auth_throttle_refuses_the_sixth_login_in_a_minute(api_client, user, settings):
    settings.RATE_LIMITS_ENABLED = True
    assert settings.RATE_LIMITS["auth"] == "5/m"
    if time.time() % 60 > 55:  # keep all six requests in one fixed window
        time.sleep(60 - time.time() % 60 + 0.1)
    body = {"username": user.username, "password": DEFAULT_PASSWORD}

    answers = [api_client.post_json(LOGIN, body) for _ in range(6)]

    assert [r.status_code for r in answers] == [200] * 5 + [429]
    assert [r["X-RateLimit-Remaining"] for r in answers] == ["4", "3", "2", "1", "0", "0"]
    assert all(r["X-RateLimit-Limit"] == "5" for r in answers)
    limited = answers[-1]
    assert limited.json()["code"] == ErrorCode.RATE_LIMIT_ERROR
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert int(limited["X-RateLimit-Reset"]) > time.time()
    assert RefreshToken.objects.filter(user=user).count() == 5


# Refresh -----------------------------------------------------------------------------


def test_refresh_rotates_and_a_reused_refresh_token_revokes_its_family(api_client, user, login):
    first = login(user)

    rotated = api_client.post_json(REFRESH, {"refresh": first["refresh"]})

    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh"] != first["refresh"]
    assert api_client.get(ME, headers=bearer(pair["access"])).status_code == 200
    # The old refresh token is blacklisted; presenting it again looks like theft ...
    reused = api_client.post_json(REFRESH, {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == ErrorCode.AUTHENTICATION_ERROR
    # ... so the token it was rotated into is revoked too.
    assert api_client.post_json(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_an_access_token_cannot_refresh(api_client, user, login):
    assert api_client.post_json(REFRESH, {"refresh": login(user)["access"]}).status_code == 401


def test_a_deleted_users_refresh_token_is_refused(api_client, user, login, admin_client):
    tokens = login(user)
    assert admin_client.delete(f"/api/v1/accounts/users/{user.id}/").status_code == 204
    assert api_client.post_json(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


# Logout ------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, user, login, audit_log):
    other_session = login(user)
    tokens = login(user)

    response = api_client.post_json(LOGOUT, {"refresh": tokens["refresh"]}, headers=bearer(tokens["access"]))

    assert response.status_code == 204
    assert api_client.post_json(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post_json(VERIFY, {"token": tokens["refresh"]}).status_code == 401
    assert api_client.post_json(REFRESH, {"refresh": other_session["refresh"]}).status_code == 200
    assert audit_log.objects.filter(action="logout", actor=user).count() == 1


@pytest.mark.parametrize("body", [None, {}])
def test_logout_without_a_token_ends_every_session(api_client, user, login, body):
    sessions = [login(user), login(user)]
    assert api_client.post_json(LOGOUT, body, headers=bearer(sessions[0]["access"])).status_code == 204
    for session in sessions:
        assert api_client.post_json(REFRESH, {"refresh": session["refresh"]}).status_code == 401


def test_logout_needs_authentication(api_client, user, login):
    tokens = login(user)
    assert api_client.post_json(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 401
    assert RefreshToken.objects.get(user=user).revoked_at is None


def test_logout_cannot_revoke_another_users_token(api_client, user, login):
    victim = login(UserFactory())
    caller = login(user)
    api_client.post_json(LOGOUT, {"refresh": victim["refresh"]}, headers=bearer(caller["access"]))
    assert api_client.post_json(REFRESH, {"refresh": victim["refresh"]}).status_code == 200


# Verify ------------------------------------------------------------------------------


def expired_access_token(user, settings) -> str:
    past = timezone.now() - timedelta(hours=1)
    claims = {"sub": str(user.pk), "type": "access", "jti": "x1", "iat": past, "exp": past + timedelta(minutes=15)}
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)


def test_verify_is_200_for_a_valid_token_and_401_for_an_invalid_or_expired_one(api_client, user, login, settings):
    tokens = login(user)
    forged = jwt.encode(
        {
            "sub": str(user.pk),
            "type": "access",
            "jti": "x2",
            "iat": timezone.now(),
            "exp": timezone.now() + timedelta(1),
        },
        "not-the-signing-key-but-long-enough-for-hs256",
        algorithm="HS256",
    )

    def status(token: str) -> int:
        response = api_client.post_json(VERIFY, {"token": token})
        if response.status_code == 200:
            assert response.json() == {"valid": True}
        else:  # what DRF and simplejwt clients read: the status, and the error shape
            assert response.json()["code"] == ErrorCode.AUTHENTICATION_ERROR
        return response.status_code

    assert status(tokens["access"]) == 200
    assert status(tokens["refresh"]) == 200
    assert status("not.a.jwt") == 401
    assert status(forged) == 401
    assert status(expired_access_token(user, settings)) == 401


def test_an_expired_access_token_is_a_401(api_client, user, settings):
    response = api_client.get(ME, headers=bearer(expired_access_token(user, settings)))
    assert response.status_code == 401
    assert response.json()["detail"] == "Token has expired."


def test_tokens_expire_after_the_configured_lifetime(api_client, user, login, settings):
    settings.JWT_ACCESS_LIFETIME = timedelta(seconds=-1)
    settings.JWT_REFRESH_LIFETIME = timedelta(seconds=-1)
    tokens = login(user)
    assert api_client.post_json(VERIFY, {"token": tokens["access"]}).status_code == 401
    assert api_client.post_json(VERIFY, {"token": tokens["refresh"]}).status_code == 401
    assert api_client.post_json(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
