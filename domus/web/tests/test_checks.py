"""The checks that stand in for Django's CSRF (security.W003) and admin middleware checks
(admin.E408-E410), which look in MIDDLEWARE while the pages run them from WEB_MIDDLEWARE."""

from django.conf import settings
from django.test import override_settings

from domus.web.checks import CSRF_MIDDLEWARE, PAGES_MIDDLEWARE, check_admin_middleware, check_csrf_middleware


def test_the_settings_pass_both_checks():
    assert check_csrf_middleware(None) == []
    assert check_admin_middleware(None) == []


def test_without_the_pages_csrf_middleware_the_check_warns():
    with override_settings(WEB_MIDDLEWARE=[m for m in settings.WEB_MIDDLEWARE if m != CSRF_MIDDLEWARE]):
        warnings = check_csrf_middleware(None)

    assert [w.id for w in warnings] == ["web.W003"]


def test_without_the_sessions_the_admin_check_fails():
    sessions = "django.contrib.sessions.middleware.SessionMiddleware"
    with override_settings(WEB_MIDDLEWARE=[m for m in settings.WEB_MIDDLEWARE if m != sessions]):
        errors = check_admin_middleware(None)

    assert [e.id for e in errors] == ["web.E001"]
    assert sessions in errors[0].msg


def test_without_the_pages_stack_every_check_fails():
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != PAGES_MIDDLEWARE]):
        assert [w.id for w in check_csrf_middleware(None)] == ["web.W003"]
        assert [e.id for e in check_admin_middleware(None)] == ["web.E001"] * 3
