"""Races on real connections: the unique constraints and row locks hold."""

import pytest
from django.core import mail
from django.test import Client

from domus.accounts.models import RefreshToken, User
from domus.accounts.tests.factories import UserFactory
from domus.accounts.tokens import issue_pair
from domus.core.tests.threads import race

REGISTER = "/api/v1/accounts/auth/register/"
JSON = "application/json"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_with_one_email_make_one_user(settings):
    settings.RATE_LIMITS_ENABLED = False
    clients = [Client(), Client()]
    bodies = [
        {"email": "race@example.test", "username": "racer-one", "password": "Sturdy-Pass-2024!"},
        {"email": "RACE@example.test", "username": "racer-two", "password": "Sturdy-Pass-2024!"},
    ]

    statuses = race(2, lambda i: clients[i].post(REGISTER, bodies[i], content_type=JSON).status_code)

    # The loser is answered like the winner (no hint that the address has an account);
    # the address's owner gets the activation mail and a "someone tried" mail.
    assert sorted(statuses) == [202, 202]
    assert User.all_objects.filter(email__iexact="race@example.test").count() == 1
    assert sorted(m.subject for m in mail.outbox) == [
        "Activate your Domus account",
        "Someone tried to sign up with your address",
    ]
    assert {tuple(m.to) for m in mail.outbox} == {("race@example.test",)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_refresh_token_rotates_once(settings):
    settings.RATE_LIMITS_ENABLED = False
    refresh = issue_pair(UserFactory()).refresh
    clients = [Client(), Client()]

    statuses = race(
        2,
        lambda i: clients[i].post("/api/v1/accounts/auth/token/refresh/", {"refresh": refresh}, content_type=JSON),
    )

    assert sorted(response.status_code for response in statuses) == [200, 401]
    # the loser replayed a rotated token, so the whole family is revoked
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
