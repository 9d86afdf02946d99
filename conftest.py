"""Fixtures shared by every test: API clients, users, a clean cache per test, and the
guard that makes the PostgreSQL + Redis run of CI fail when a service is missing."""

import os
from collections.abc import Callable

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client

from domus.accounts.tests.factories import UserFactory
from domus.accounts.tokens import issue_pair
from domus.core.roles import Role


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI_REQUIRE_SERVICES"):
        from django.conf import settings as django_settings

        if not django_settings.IS_POSTGRES:
            raise pytest.UsageError("CI_REQUIRE_SERVICES is set but DATABASE_URL is not PostgreSQL.")
        if "redis" not in django_settings.CACHES["default"]["BACKEND"].lower():
            raise pytest.UsageError("CI_REQUIRE_SERVICES is set but REDIS_URL is not set.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests (real-thread concurrency, PostgreSQL features)
    run in the PostgreSQL run and are skipped on SQLite; ``@pytest.mark.once`` tests
    (nothing in them depends on the database) run in the SQLite run only."""
    marker, skip = (
        ("once", pytest.mark.skip(reason="runs in the SQLite run"))
        if settings.IS_POSTGRES
        else ("postgres", pytest.mark.skip(reason="needs PostgreSQL"))
    )
    for item in items:
        if marker in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _services_reachable(django_db_setup, django_db_blocker) -> None:
    """Fail (never skip) the run when the configured database or cache is down."""
    from django.db import connection

    with django_db_blocker.unblock():
        connection.ensure_connection()
    cache.set("ci:ping", "pong", 5)
    assert cache.get("ci:ping") == "pong", "the cache is not answering"


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    """Rate-limit windows and lockout counters never leak from one test to the next."""
    for store in caches.all():
        store.clear()


class ApiClient(Client):
    """A test client that sends and reads JSON."""

    def post_json(self, path: str, data=None, **kwargs):
        return self.post(path, data=data, content_type="application/json", **kwargs)

    def put_json(self, path: str, data=None, **kwargs):
        return self.put(path, data=data, content_type="application/json", **kwargs)

    def patch_json(self, path: str, data=None, **kwargs):
        return self.patch(path, data=data, content_type="application/json", **kwargs)


@pytest.fixture
def audit_log():
    """The audit trail's model, read without importing the audit app's models."""
    return apps.get_model("audit", "AuditLog")


@pytest.fixture
def api_client() -> ApiClient:
    """An anonymous client."""
    return ApiClient()


@pytest.fixture
def client_for(db) -> Callable[..., ApiClient]:
    """``client_for(user)``: a client that sends ``user``'s access token."""

    def make(user) -> ApiClient:
        return ApiClient(headers={"Authorization": f"Bearer {issue_pair(user).access}"})

    return make


@pytest.fixture
def user(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, email="root@example.test", username="root")


@pytest.fixture
def user_client(client_for, user) -> ApiClient:
    return client_for(user)


@pytest.fixture
def admin_client(client_for, admin_user) -> ApiClient:
    return client_for(admin_user)


@pytest.fixture
def rate_limits(settings) -> Callable[..., None]:
    """``rate_limits(auth="2/m")``: set scope budgets for one test."""

    def configure(**scopes: str) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **scopes}

    return configure


__all__ = ["ApiClient", "settings"]
