"""The admin's sign-in page has the API's lockout (one counter per account for both)
and a rate limit."""

import time

import pytest
from django.test import Client

from domus.accounts.models import RefreshToken
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

ADMIN_LOGIN = "/admin/login/"
LOGIN = "/api/v1/accounts/auth/token/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, username="boss", email="boss@example.test")


def admin_login(client: Client, username: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_failures_in_the_admin_and_the_api_add_up_to_one_lockout(api_client, staff, settings):
    client = Client()
    assert settings.LOGIN_MAX_FAILURES == 5
    for _ in range(3):
        assert admin_login(client, "boss", "wrong").status_code == 200
    for _ in range(2):
        assert api_client.post_json(LOGIN, {"username": "boss", "password": "wrong"}).status_code == 401

    page = admin_login(client, "boss", DEFAULT_PASSWORD)

    assert page.status_code == 200
    assert "Too many failed login attempts" in page.content.decode()
    assert not signed_in(client)
    assert api_client.post_json(LOGIN, {"username": "boss", "password": DEFAULT_PASSWORD}).status_code == 429
    assert not RefreshToken.objects.exists()


def test_api_failures_lock_the_admin_page_too(api_client, staff):
    for _ in range(5):
        api_client.post_json(LOGIN, {"email": "boss@example.test", "password": "wrong"})
    client = Client()

    page = admin_login(client, "boss", DEFAULT_PASSWORD)

    assert "Too many failed login attempts" in page.content.decode()
    assert not signed_in(client)


def test_the_right_password_still_signs_in_and_resets_the_count(staff):
    client = Client()
    for _ in range(4):
        admin_login(client, "boss", "wrong")
    assert admin_login(client, "boss", DEFAULT_PASSWORD).status_code == 302
    assert signed_in(client)
    other = Client()
    for _ in range(4):
        admin_login(other, "boss", "wrong")
    assert admin_login(other, "boss", DEFAULT_PASSWORD).status_code == 302


def test_a_non_staff_user_is_still_refused(db):
    UserFactory(username="customer")
    client = Client()
    page = admin_login(client, "customer", DEFAULT_PASSWORD)
    assert page.status_code == 200
    assert not signed_in(client)


def test_the_admin_login_is_rate_limited_per_client(staff, settings):
    settings.RATE_LIMITS_ENABLED = True
    assert settings.RATE_LIMITS["auth"] == "5/m"
    if time.time() % 60 > 55:  # keep every request in one fixed window
        time.sleep(60 - time.time() % 60 + 0.1)
    client = Client()
    names = [f"nobody{n}" for n in range(5)]  # distinct names: no lockout, only the rate limit
    assert [admin_login(client, name, "wrong").status_code for name in names] == [200] * 5

    limited = admin_login(client, "boss", DEFAULT_PASSWORD)

    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert not signed_in(client)
    assert client.get(ADMIN_LOGIN).status_code == 200  # the page itself still opens
