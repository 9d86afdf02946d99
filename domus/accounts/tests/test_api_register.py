"""Sign-up (and its aliases), the activation e-mail, activation, and idempotent replays."""

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from domus.accounts.models import AccountToken, Profile, User
from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import ErrorCode

REGISTER = "/api/v1/accounts/auth/register/"
LOGIN = "/api/v1/accounts/auth/token/"
PASSWORD = "Sturdy-Pass-2024!"

pytestmark = pytest.mark.django_db


def activate_url(username: str) -> str:
    return f"/api/v1/accounts/auth/{username}/activate/"


def test_register_creates_an_inactive_user_and_mails_an_activation_token(registered, mail_token, audit_log):
    body = registered(
        email="Jane.Doe@Example.test", username="jane", first_name="Jane", last_name="Doe", phone="+254700000123"
    )

    assert not {"access", "refresh", "password"} & set(body)
    assert body["email"] == "jane.doe@example.test"
    assert (body["username"], body["role"], body["is_active"]) == ("jane", "customer", False)
    user = User.objects.get(pk=body["id"])
    assert not user.is_active
    assert user.check_password(PASSWORD)
    assert (user.first_name, user.last_name, user.phone) == ("Jane", "Doe", "+254700000123")
    assert Profile.objects.filter(user=user).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jane.doe@example.test"]
    token = mail_token(user.email)
    stored = AccountToken.objects.get(user=user)
    assert stored.purpose == AccountToken.Purpose.ACTIVATION
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert timedelta(hours=23) < stored.expires_at - timezone.now() <= timedelta(hours=24)
    assert audit_log.objects.filter(action="create", resource_type="accounts.user", resource_id=str(user.id)).exists()


def test_register_activate_then_log_in(api_client, registered, mail_token, audit_log):
    user_body = registered(email="amani@example.test")
    credentials = {"email": "amani@example.test", "password": PASSWORD}
    assert api_client.post_json(LOGIN, credentials).status_code == 401  # not active yet

    response = api_client.post_json(activate_url(user_body["username"]), {"token": mail_token("amani@example.test")})

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert User.objects.get(pk=user_body["id"]).is_active
    assert audit_log.objects.filter(action="activate", resource_id=user_body["id"]).exists()
    assert api_client.post_json(LOGIN, credentials).status_code == 200


def test_the_activation_mail_is_sent_only_after_commit(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post_json(REGISTER, {"email": "late@example.test", "password": PASSWORD})
    assert response.status_code == 202
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("role", ["customer", "owner", "tenant", "agent"])
def test_register_with_a_self_service_role(registered, role):
    assert registered(email=f"{role}@example.test", role=role)["role"] == role


@pytest.mark.parametrize("role", ["admin", "staff", "branch_head", "wizard"])
def test_admin_and_staff_roles_cannot_self_register(api_client, role):
    response = api_client.post_json(REGISTER, {"email": "x@example.test", "password": PASSWORD, "role": role})

    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    assert not User.all_objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),  # common
        ({"password": "84736251948"}, "password"),  # numeric
        ({"password": "jane@example.test1"}, "password"),  # like the e-mail
        ({"password_confirm": "Something-Else-99"}, "password_confirm"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "has space"}, "username"),
        ({"username": "looks@like.email"}, "username"),
    ],
)
def test_register_refuses_bad_input_with_field_errors(api_client, sent, body, field):
    payload = {"email": "jane@example.test", "password": PASSWORD, **body}
    response = sent(lambda: api_client.post_json(REGISTER, payload))

    assert response.status_code == 400
    assert response.json()["code"] == ErrorCode.VALIDATION_ERROR
    assert field in response.json()["errors"], response.json()
    assert not User.all_objects.exists()
    assert mail.outbox == []


def test_a_duplicate_username_is_a_conflict_ignoring_case(api_client, sent):
    existing = UserFactory(username="Jane", email="jane@example.test")
    payload = {"email": "someone.else@example.test", "username": "jANE", "password": PASSWORD}

    response = sent(lambda: api_client.post_json(REGISTER, payload))

    assert response.status_code == 409
    assert response.json()["errors"] == {"username": ["A user with this username already exists."]}
    assert list(User.all_objects.all()) == [existing]
    assert mail.outbox == []


def test_a_taken_email_answers_as_a_new_one_and_mails_its_owner(api_client, sent):
    owner = UserFactory(email="jane@example.test", first_name="Jane")
    new = sent(lambda: api_client.post_json(REGISTER, {"email": "fresh@example.test", "password": PASSWORD}))
    mail.outbox.clear()

    taken = sent(lambda: api_client.post_json(REGISTER, {"email": " JANE@example.test", "password": PASSWORD}))

    assert (taken.status_code, taken.json()) == (new.status_code, new.json())
    assert list(User.all_objects.filter(email__iexact="jane@example.test")) == [owner]
    assert [m.to for m in mail.outbox] == [["jane@example.test"]]
    assert mail.outbox[0].subject == "Someone tried to sign up with your address"
    assert "Token:" not in mail.outbox[0].body


def test_a_taken_email_still_gets_the_other_field_errors(api_client, sent):
    UserFactory(email="jane@example.test")
    response = sent(lambda: api_client.post_json(REGISTER, {"email": "jane@example.test", "password": "short"}))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password"}
    assert mail.outbox == []


def test_a_deleted_users_email_stays_taken_and_nobody_is_mailed(api_client, admin_client, sent):
    gone = UserFactory(email="gone@example.test")
    admin_client.delete(f"/api/v1/accounts/users/{gone.id}/")
    response = sent(lambda: api_client.post_json(REGISTER, {"email": "gone@example.test", "password": PASSWORD}))
    assert response.status_code == 202
    assert User.all_objects.filter(email="gone@example.test").count() == 1
    assert mail.outbox == []


def test_the_username_is_made_from_the_email_and_kept_unique(registered):
    UserFactory(username="Jane.Doe", email="someone@example.test")
    first = registered(email="jane.doe@example.test")
    second = registered(email="jane.doe@another.test")

    assert first["username"] == "jane.doe2"
    assert second["username"] == "jane.doe3"


# Activation --------------------------------------------------------------------------


INVALID = "This activation link is invalid or has expired."


def assert_refused(response) -> None:
    assert response.status_code == 400
    assert response.json() == {"detail": INVALID, "code": ErrorCode.VALIDATION_ERROR, "errors": {"token": [INVALID]}}


def test_an_activation_token_works_once(api_client, registered, mail_token):
    body = registered()
    token = mail_token(body["email"])
    assert api_client.post_json(activate_url(body["username"]), {"token": token}).status_code == 200

    assert_refused(api_client.post_json(activate_url(body["username"]), {"token": token}))


def test_a_wrong_token_or_another_username_gets_the_same_answer(api_client, registered, mail_token):
    body = registered()
    other = registered(email="other@example.test")
    token = mail_token(body["email"])

    assert_refused(api_client.post_json(activate_url(body["username"]), {"token": token + "x"}))
    assert_refused(api_client.post_json(activate_url(other["username"]), {"token": token}))
    assert_refused(api_client.post_json(activate_url("nobody"), {"token": token}))
    assert not User.objects.filter(is_active=True).exists()
    # A refused attempt does not use the token up.
    assert api_client.post_json(activate_url(body["username"].upper()), {"token": token}).status_code == 200


def test_an_expired_activation_token_is_refused(api_client, registered, mail_token):
    body = registered()
    AccountToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_refused(api_client.post_json(activate_url(body["username"]), {"token": mail_token(body["email"])}))
    assert not User.objects.get(pk=body["id"]).is_active


def test_a_reset_token_cannot_activate(api_client, sent, mail_token, user):
    sent(lambda: api_client.post_json("/api/v1/accounts/auth/forgot-password/", {"email": user.email}))
    user.is_active = False
    user.save()
    assert_refused(api_client.post_json(activate_url(user.username), {"token": mail_token(user.email)}))


# Idempotency -------------------------------------------------------------------------


def test_a_replayed_registration_answers_the_same_and_creates_one_user(api_client, sent):
    headers = {"Idempotency-Key": "signup-1"}
    body = {"email": "once@example.test", "password": PASSWORD}

    first = sent(lambda: api_client.post_json(REGISTER, body, headers=headers))
    again = sent(lambda: api_client.post_json(REGISTER, body, headers=headers))

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert User.all_objects.filter(email="once@example.test").count() == 1
    assert len(mail.outbox) == 1


def test_the_same_key_with_another_body_is_a_409(api_client, sent):
    headers = {"Idempotency-Key": "signup-2"}
    sent(lambda: api_client.post_json(REGISTER, {"email": "a@example.test", "password": PASSWORD}, headers=headers))

    response = api_client.post_json(REGISTER, {"email": "b@example.test", "password": PASSWORD}, headers=headers)

    assert response.status_code == 409
    assert response.json()["code"] == ErrorCode.CONFLICT_ERROR
    assert list(User.all_objects.values_list("email", flat=True)) == ["a@example.test"]


@pytest.mark.parametrize("path", ["/api/auth/register", "/api/v1/accounts/auth/signup/", "/api/accounts/auth/signup"])
def test_the_register_aliases(api_client, path):
    response = api_client.post_json(path, {"email": "alias@example.test", "password": PASSWORD})
    assert response.status_code == 202
    assert User.all_objects.filter(email="alias@example.test", is_active=False).exists()
