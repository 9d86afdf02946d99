"""Races on real connections: the unique constraints and row locks hold."""

import threading
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from domus.accounts.models import RefreshToken, User
from domus.accounts.tests.factories import UserFactory
from domus.accounts.tokens import issue_pair

REGISTER = "/api/v1/accounts/auth/register/"
JSON = "application/json"


def race(calls: list[Callable[[], int]]) -> list[int]:
    """Run ``calls`` at once, each thread on its own connection; answer the statuses."""
    start = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call: Callable[[], int]) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(statuses)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_with_one_email_make_one_user(settings):
    settings.RATE_LIMITS_ENABLED = False
    clients = [Client(), Client()]
    bodies = [
        {"email": "race@example.test", "username": "racer-one", "password": "Sturdy-Pass-2024!"},
        {"email": "RACE@example.test", "username": "racer-two", "password": "Sturdy-Pass-2024!"},
    ]

    statuses = race(
        [
            lambda c=c, b=b: c.post(REGISTER, b, content_type=JSON).status_code
            for c, b in zip(clients, bodies, strict=True)
        ]
    )

    # The loser is answered like the winner (no hint that the address has an account);
    # the address's owner gets the activation mail and a "someone tried" mail.
    assert statuses == [202, 202]
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
        [
            lambda c=c: (
                c.post("/api/v1/accounts/auth/token/refresh/", {"refresh": refresh}, content_type=JSON).status_code
            )
            for c in clients
        ]
    )

    assert statuses == [200, 401]
    # the loser replayed a rotated token, so the whole family is revoked
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
