"""The deploy check that stands in for Django's CSRF middleware check (security.W003)."""

from django.conf import settings
from django.test import override_settings

from domus.web.checks import CSRF_MIDDLEWARE, check_csrf_middleware


def test_the_pages_csrf_middleware_passes_the_check():
    assert check_csrf_middleware(None) == []


def test_without_the_pages_csrf_middleware_the_check_warns():
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != CSRF_MIDDLEWARE]):
        warnings = check_csrf_middleware(None)

    assert [w.id for w in warnings] == ["web.W003"]
