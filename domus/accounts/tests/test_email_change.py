"""Changing one's e-mail address: an access token alone cannot do it; it takes the
current password and a link mailed to the new address, and the old address is told."""

import re

import pytest
from django.core import mail, signing

from domus.accounts.models import User
from domus.accounts.services.mails import EMAIL_CHANGE_SALT
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

ME = "/api/v1/accounts/me/"
CHANGE = "/api/v1/accounts/me/email/"
CONFIRM = "/api/v1/accounts/me/email/confirm/"
FORGOT = "/api/v1/accounts/auth/forgot-password/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(db):
    return UserFactory(email="mia@example.test", username="mia", first_name="Mia")


@pytest.fixture
def mia_client(client_for, mia):
    return client_for(mia)


def token_in(message) -> str:
    return re.search(r"^Token: (\S+)$", message.body, re.MULTILINE).group(1)


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_an_access_token_alone_cannot_change_the_email(mia_client, mia, sent):
    response = sent(lambda: mia_client.patch_json(ME, {"email": "attacker@example.test"}))

    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    mia.refresh_from_db()
    assert mia.email == "mia@example.test"
    # so forgot-password still mails the owner, never the attacker
    sent(lambda: mia_client.post_json(FORGOT, {"email": "attacker@example.test"}))
    assert mail.outbox == []


def test_the_same_email_in_a_put_is_accepted(mia_client, mia):
    response = mia_client.put_json(ME, {"email": "MIA@example.test", "username": "mia", "first_name": "Mira"})
    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Mira"


def test_a_change_needs_the_current_password(mia_client, mia, sent):
    response = sent(lambda: mia_client.post_json(CHANGE, {"new_email": "new@example.test", "password": "wrong"}))

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["Incorrect password."]}
    assert mail.outbox == []


def test_wrong_passwords_count_towards_the_login_lockout(mia_client, api_client, mia):
    for _ in range(5):
        mia_client.post_json(CHANGE, {"new_email": "new@example.test", "password": "wrong"})

    assert (
        mia_client.post_json(CHANGE, {"new_email": "new@example.test", "password": DEFAULT_PASSWORD}).status_code == 429
    )
    login = {"username": "mia", "password": DEFAULT_PASSWORD}
    assert api_client.post_json("/api/v1/accounts/auth/token/", login).status_code == 429


def test_the_change_waits_for_the_link_sent_to_the_new_address(mia_client, api_client, mia, sent, audit_log):
    response = sent(
        lambda: mia_client.post_json(CHANGE, {"new_email": "Mia.New@Example.test", "password": DEFAULT_PASSWORD})
    )

    assert response.status_code == 202
    mia.refresh_from_db()
    assert mia.email == "mia@example.test"  # the old address stays in force
    [confirm] = mails_to("mia.new@example.test")
    [notice] = mails_to("mia@example.test")
    assert "Token:" not in notice.body
    assert "mia.new@example.test" in notice.body
    # until confirmed, a password reset still goes to the old address
    mail.outbox.clear()
    sent(lambda: api_client.post_json(FORGOT, {"email": "mia.new@example.test"}))
    assert mail.outbox == []

    confirmed = sent(lambda: api_client.post_json(CONFIRM, {"token": token_in(confirm)}))

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["email"] == "mia.new@example.test"
    assert User.objects.get(pk=mia.pk).email == "mia.new@example.test"
    [changed] = mails_to("mia@example.test")
    assert changed.subject == "Your Domus e-mail address was changed"
    change = audit_log.objects.get(action="email_change", resource_id=str(mia.pk))
    assert change.changes["email"] == {"before": "mia@example.test", "after": "mia.new@example.test"}


def test_a_confirmation_link_works_once(mia_client, api_client, mia, sent):
    sent(lambda: mia_client.post_json(CHANGE, {"new_email": "new@example.test", "password": DEFAULT_PASSWORD}))
    token = token_in(mails_to("new@example.test")[0])
    assert api_client.post_json(CONFIRM, {"token": token}).status_code == 200

    again = api_client.post_json(CONFIRM, {"token": token})

    assert again.status_code == 400
    assert again.json()["errors"] == {"token": ["This confirmation link is invalid or has expired."]}


def test_a_forged_or_expired_link_is_refused(api_client, mia, settings):
    forged = signing.dumps({"user": str(mia.pk), "from": mia.email, "to": "x@example.test"}, salt="other")
    settings.ACCOUNT_TOKEN_HOURS = 0
    expired = signing.dumps({"user": str(mia.pk), "from": mia.email, "to": "x@example.test"}, salt=EMAIL_CHANGE_SALT)
    for token in (forged, expired, "garbage"):
        assert api_client.post_json(CONFIRM, {"token": token}).status_code == 400
    assert User.objects.get(pk=mia.pk).email == "mia@example.test"


def test_a_taken_address_answers_the_same_and_its_owner_is_told(mia_client, mia, sent):
    owner = UserFactory(email="taken@example.test")
    free = sent(lambda: mia_client.post_json(CHANGE, {"new_email": "free@example.test", "password": DEFAULT_PASSWORD}))
    mail.outbox.clear()

    taken = sent(
        lambda: mia_client.post_json(CHANGE, {"new_email": "TAKEN@example.test", "password": DEFAULT_PASSWORD})
    )

    assert (taken.status_code, taken.json()) == (free.status_code, free.json())
    [told] = mails_to(owner.email)
    assert told.subject == "Someone tried to use your address"
    assert "Token:" not in told.body
    assert [m.subject for m in mails_to("mia@example.test")] == ["A change of your Domus e-mail address was requested"]
    assert User.objects.get(pk=mia.pk).email == "mia@example.test"


def test_an_address_taken_before_confirmation_is_refused(mia_client, api_client, mia, sent):
    sent(lambda: mia_client.post_json(CHANGE, {"new_email": "new@example.test", "password": DEFAULT_PASSWORD}))
    token = token_in(mails_to("new@example.test")[0])
    UserFactory(email="new@example.test")

    assert api_client.post_json(CONFIRM, {"token": token}).status_code == 400
    assert User.objects.get(pk=mia.pk).email == "mia@example.test"
