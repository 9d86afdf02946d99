"""Liveness (public, touches nothing, never throttled) and readiness (admins; each
backing service probed; 503 with the same body when one is down, never a 500)."""

from datetime import datetime

import pytest
from django.conf import settings
from django.core.cache import caches

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.ops.health import VERSION

LIVE = "/api/v1/ops/health/"
DETAILS = "/api/v1/ops/health/details/"
DEAD_REDIS = "redis://127.0.0.1:6399/0"


def statuses(body: dict) -> dict[str, str]:
    return {check["name"]: check["status"] for check in body["checks"]}


@pytest.fixture
def dead_cache(settings) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}


@pytest.fixture
def dead_broker(settings) -> None:
    settings.CELERY_BROKER_URL = DEAD_REDIS
    settings.CELERY_TASK_ALWAYS_EAGER = False


# Liveness ------------------------------------------------------------------------------


def test_liveness_answers_status_version_and_time(api_client):
    response = api_client.get(LIVE)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == VERSION
    assert datetime.fromisoformat(body["time"]).tzinfo is not None


@pytest.mark.django_db
def test_liveness_touches_no_database(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get(LIVE)

    assert response.status_code == 200


def test_liveness_needs_no_token_and_ignores_a_bad_one(api_client):
    response = api_client.get(LIVE, headers={"Authorization": "Bearer garbage"})

    assert response.status_code == 200


def test_liveness_is_never_throttled(api_client, rate_limits):
    rate_limits(read="1/m")

    responses = [api_client.get(LIVE) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert "X-RateLimit-Limit" not in responses[-1]


def test_liveness_answers_even_when_the_cache_is_down(api_client, dead_cache):
    assert api_client.get(LIVE).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/health", "/api/v1/health/", "/api/health/", "/api/health", "/api/ops/health"]
)
def test_liveness_original_paths(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# Readiness -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_details_report_every_service_ok(admin_client):
    response = admin_client.get(DETAILS)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == VERSION
    assert statuses(body) == {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"}
    for check in body["checks"]:
        assert set(check) == {"name", "status", "latency_ms", "detail"}
        assert check["latency_ms"] >= 0
    details = {check["name"]: check["detail"] for check in body["checks"]}
    assert details["database"] == ("postgresql" if settings.IS_POSTGRES else "sqlite")
    assert details["cache"] == type(caches["default"]).__name__
    assert ("Redis" in details["cache"]) == bool(settings.REDIS_URL)
    assert details["broker"] == "in-process (eager)"  # the tests run Celery eagerly


@pytest.mark.django_db
def test_details_leave_no_probe_behind(admin_client, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)

    assert admin_client.get(DETAILS).status_code == 200

    assert list(tmp_path.rglob("*.txt")) == []


@pytest.mark.django_db
def test_a_dead_redis_cache_is_a_503_with_the_report(admin_client, dead_cache):
    response = admin_client.get(DETAILS)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert "code" not in body
    assert statuses(body) == {"database": "ok", "cache": "down", "broker": "ok", "storage": "ok"}
    cache_check = next(check for check in body["checks"] if check["name"] == "cache")
    assert "6399" in cache_check["detail"]


@pytest.mark.django_db
def test_an_unreachable_broker_is_a_503_with_the_report(admin_client, dead_broker):
    response = admin_client.get(DETAILS)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert statuses(body) == {"database": "ok", "cache": "ok", "broker": "down", "storage": "ok"}
    broker_check = next(check for check in body["checks"] if check["name"] == "broker")
    assert "OperationalError" in broker_check["detail"]


@pytest.mark.django_db
def test_a_reachable_broker_is_ok_when_not_eager(admin_client, settings):
    # The real Redis in the PostgreSQL + Redis run; kombu's in-memory transport otherwise.
    settings.CELERY_BROKER_URL = settings.REDIS_URL or "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = admin_client.get(DETAILS)

    assert response.status_code == 200
    broker_check = next(check for check in response.json()["checks"] if check["name"] == "broker")
    assert broker_check["status"] == "ok"
    assert broker_check["detail"].startswith("redis://" if settings.REDIS_URL else "memory://")


@pytest.mark.django_db
def test_details_need_a_token(api_client):
    response = api_client.get(DETAILS)

    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_ERROR"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.STAFF, Role.AGENT])
def test_details_are_for_platform_admins_only(client_for, role):
    response = client_for(UserFactory(role=role)).get(DETAILS)

    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_ERROR"


@pytest.mark.django_db
def test_details_are_never_throttled(admin_client, rate_limits):
    rate_limits(read="1/m")

    assert [admin_client.get(DETAILS).status_code for _ in range(3)] == [200] * 3


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/health/details", "/api/v1/health/details/", "/api/health/details"])
def test_details_original_paths(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 200
    assert set(statuses(response.json())) == {"database", "cache", "broker", "storage"}


@pytest.mark.django_db
def test_a_storage_that_cannot_write_is_a_503_with_the_report(admin_client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocker)}},
    }

    response = admin_client.get(DETAILS)

    assert response.status_code == 503
    assert statuses(response.json()) == {"database": "ok", "cache": "ok", "broker": "ok", "storage": "down"}


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_a_503_never_a_500(admin_client):
    from django.db import connection

    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = "6399"  # nothing listens there
    else:
        connection.settings_dict["NAME"] = "/nonexistent/folder/domus.sqlite3"
    try:
        response = admin_client.get(DETAILS)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


# Readiness probe -----------------------------------------------------------------------

READY = "/api/v1/health/ready"


@pytest.fixture
def dead_database(transactional_db):
    """The default connection pointed at a database that cannot be opened (a real failed
    connect, not a mock); put back before the test database is flushed."""
    from django.db import connection

    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/domus/db.sqlite3"
    else:
        connection.settings_dict["PORT"] = "6399"
    yield
    connection.close()
    connection.settings_dict.update(saved)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [READY, "/api/v1/health/ready/", "/api/health/ready", "/api/v1/ops/health/ready/"])
def test_ready_is_200_without_a_token_when_database_and_cache_answer(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_a_503_without_details_when_the_cache_is_down(api_client, dead_cache, db):
    response = api_client.get(READY)

    assert response.status_code == 503
    assert response.json() == {"detail": "Not ready.", "code": "SERVICE_UNAVAILABLE", "errors": {}}
    assert "6399" not in response.content.decode()


def test_ready_is_a_503_without_details_when_the_database_is_down(api_client, dead_database):
    response = api_client.get(READY)

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert "nonexistent" not in response.content.decode()


@pytest.mark.django_db
def test_ready_is_never_throttled(api_client, rate_limits):
    rate_limits(read="1/m")

    assert [api_client.get(READY).status_code for _ in range(3)] == [200] * 3
