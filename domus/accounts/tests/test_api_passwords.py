"""Change, forgot and reset password."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from domus.accounts.models import AccountToken, RefreshToken
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.exceptions import ErrorCode

CHANGE = "/api/v1/accounts/auth/change-password/"
FORGOT = "/api/v1/accounts/auth/forgot-password/"
RESET = "/api/v1/accounts/auth/reset-password/"
LOGIN = "/api/v1/accounts/auth/token/"
REFRESH = "/api/v1/accounts/auth/token/refresh/"
NEW_PASSWORD = "Brand-New-Secret-77"

pytestmark = pytest.mark.django_db


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


def can_log_in(api_client, user, password: str) -> bool:
    return api_client.post_json(LOGIN, {"username": user.username, "password": password}).status_code == 200


# Change ------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(api_client, user, login, audit_log):
    this, other = login(user), login(user)
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "refresh": this["refresh"]}

    response = api_client.post_json(CHANGE, body, headers=bearer(this["access"]))

    assert response.status_code == 200, response.content
    assert api_client.post_json(REFRESH, {"refresh": other["refresh"]}).status_code == 401
    assert api_client.post_json(REFRESH, {"refresh": this["refresh"]}).status_code == 200
    assert can_log_in(api_client, user, NEW_PASSWORD)
    assert not can_log_in(api_client, user, DEFAULT_PASSWORD)
    row = audit_log.objects.get(action="password_change", resource_id=str(user.id))
    assert row.changes == {"refresh_tokens_revoked": 1}


def test_change_password_without_refresh_ends_every_session(api_client, user, login):
    sessions = [login(user), login(user)]
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}

    assert api_client.post_json(CHANGE, body, headers=bearer(sessions[0]["access"])).status_code == 200
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"old_password": "not-my-password", "new_password": NEW_PASSWORD}, "old_password"),
        ({"old_password": DEFAULT_PASSWORD, "new_password": "123"}, "new_password"),
        ({"old_password": DEFAULT_PASSWORD, "new_password": DEFAULT_PASSWORD}, "new_password"),
        ({"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "refresh": "garbage"}, "refresh"),
    ],
)
def test_change_password_refusals_change_nothing(api_client, user, login, body, field):
    session = login(user)

    response = api_client.post_json(CHANGE, body, headers=bearer(session["access"]))

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert RefreshToken.objects.get(user=user).revoked_at is None


def test_change_password_cannot_keep_another_users_session(api_client, user, login):
    mine, theirs = login(user), login(UserFactory())
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "refresh": theirs["refresh"]}
    response = api_client.post_json(CHANGE, body, headers=bearer(mine["access"]))
    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]


def test_change_password_needs_authentication(api_client, user):
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    assert api_client.post_json(CHANGE, body).status_code == 401


# Forgot ------------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(api_client, user, sent):
    known = sent(lambda: api_client.post_json(FORGOT, {"email": user.email.upper()}))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]

    unknown = sent(lambda: api_client.post_json(FORGOT, {"email": "nobody@example.test"}))

    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1
    assert AccountToken.objects.filter(purpose=AccountToken.Purpose.PASSWORD_RESET).count() == 1


def test_forgot_password_mails_nothing_to_inactive_or_deleted_users(api_client, sent, admin_client):
    inactive = UserFactory(is_active=False)
    deleted = UserFactory()
    admin_client.delete(f"/api/v1/accounts/users/{deleted.id}/")
    for email in (inactive.email, deleted.email):
        assert sent(lambda e=email: api_client.post_json(FORGOT, {"email": e})).status_code == 200
    assert mail.outbox == []


# Reset -------------------------------------------------------------------------------


@pytest.fixture
def reset_token(api_client, user, sent, mail_token) -> str:
    sent(lambda: api_client.post_json(FORGOT, {"email": user.email}))
    return mail_token(user.email)


def test_reset_sets_the_password_once_and_ends_every_session(api_client, user, login, reset_token, audit_log):
    session = login(user)

    response = api_client.post_json(RESET, {"token": reset_token, "new_password": NEW_PASSWORD})

    assert response.status_code == 200
    assert can_log_in(api_client, user, NEW_PASSWORD)
    assert api_client.post_json(REFRESH, {"refresh": session["refresh"]}).status_code == 401
    assert AccountToken.objects.get(purpose=AccountToken.Purpose.PASSWORD_RESET).used_at is not None
    assert audit_log.objects.filter(action="password_reset", resource_id=str(user.id)).exists()
    again = api_client.post_json(RESET, {"token": reset_token, "new_password": "Another-Secret-88"})
    assert again.status_code == 400
    assert again.json()["code"] == ErrorCode.VALIDATION_ERROR
    assert can_log_in(api_client, user, NEW_PASSWORD)


def test_an_expired_or_unknown_reset_token_is_refused(api_client, user, reset_token):
    AccountToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api_client.post_json(RESET, {"token": reset_token, "new_password": NEW_PASSWORD})
    unknown = api_client.post_json(RESET, {"token": "no-such-token", "new_password": NEW_PASSWORD})

    assert expired.status_code == unknown.status_code == 400
    assert expired.json() == unknown.json()
    assert "token" in expired.json()["errors"]
    assert can_log_in(api_client, user, DEFAULT_PASSWORD)


def test_a_weak_new_password_is_refused_and_the_token_still_works(api_client, user, reset_token):
    weak = api_client.post_json(RESET, {"token": reset_token, "new_password": "123"})
    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]

    assert api_client.post_json(RESET, {"token": reset_token, "new_password": NEW_PASSWORD}).status_code == 200


def test_a_newer_reset_mail_supersedes_the_older_token(api_client, user, sent, mail_token, reset_token):
    sent(lambda: api_client.post_json(FORGOT, {"email": user.email}))
    newer = mail_token(user.email)

    assert api_client.post_json(RESET, {"token": reset_token, "new_password": NEW_PASSWORD}).status_code == 400
    assert api_client.post_json(RESET, {"token": newer, "new_password": NEW_PASSWORD}).status_code == 200


def test_a_reset_lifts_a_login_lockout(api_client, user, reset_token, django_capture_on_commit_callbacks):
    wrong = {"username": user.username, "password": "wrong-password"}
    for _ in range(5):
        api_client.post_json(LOGIN, wrong)
    assert api_client.post_json(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}).status_code == 429

    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post_json(RESET, {"token": reset_token, "new_password": NEW_PASSWORD}).status_code == 200

    assert can_log_in(api_client, user, NEW_PASSWORD)


def test_a_deactivated_user_cannot_reset(api_client, user, reset_token, admin_client):
    assert admin_client.patch_json(f"/api/v1/accounts/users/{user.id}/", {"is_active": False}).status_code == 200
    assert api_client.post_json(RESET, {"token": reset_token, "new_password": NEW_PASSWORD}).status_code == 400
