"""Login lockouts and rate-limit windows live in a store of their own: no amount of
other cached data (anonymous listing and facet queries fill the default cache) can
evict them."""

import time

import pytest
from django.conf import settings
from django.core.cache import cache

from domus.accounts.tests.factories import DEFAULT_PASSWORD

LOGIN = "/api/v1/accounts/auth/token/"

pytestmark = pytest.mark.django_db


def flood_the_default_cache() -> None:
    """What 450 distinct anonymous queries leave behind, past the default cache's room."""
    room = settings.CACHES["default"].get("OPTIONS", {}).get("MAX_ENTRIES", 300)
    for n in range(room + 150):
        cache.set(f"listing-facets:{n}", {"n": n}, timeout=600)


def test_a_lockout_holds_however_full_the_default_cache_gets(api_client, user):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert api_client.post_json(LOGIN, {"username": user.username, "password": "wrong"}).status_code == 401

    flood_the_default_cache()

    response = api_client.post_json(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.json()["detail"]


def test_a_rate_limit_window_holds_however_full_the_default_cache_gets(api_client, user, settings):
    settings.RATE_LIMITS_ENABLED = True
    if time.time() % 60 > 55:  # keep every request in one fixed window
        time.sleep(60 - time.time() % 60 + 0.1)
    body = {"username": user.username, "password": DEFAULT_PASSWORD}
    assert [api_client.post_json(LOGIN, body).status_code for _ in range(5)] == [200] * 5

    flood_the_default_cache()

    assert api_client.post_json(LOGIN, body).status_code == 429
