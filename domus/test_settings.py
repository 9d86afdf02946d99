"""Test settings: the real settings with a fast hasher, eager jobs and in-memory mail.

The database and cache stay whatever the environment says, so the PostgreSQL + Redis
run of CI tests against the real servers.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-hs256")

# Parallel runs (pytest -n): each worker gets a Redis database of its own, the one after
# REDIS_URL's for gw0 and so on, because a test's cache.clear() empties its whole database.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    _server, _, _db = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{_server}/{int(_db or 0) + 1 + int(_worker[2:])}"

from domus.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = True
SCHEDULE_IN_PROCESS = False  # tests run scheduled jobs themselves
LOGGING["root"]["level"] = LOGGING["loggers"]["django"]["level"] = "WARNING"  # noqa: F405
GEOCODE_NEW_LISTINGS = False  # no provider calls from tests that do not fake one
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# The tests keep one connection a thread, as persistent connections do in production:
# the prepared statements' path is the one they run (domus/core/tests/test_prepared.py
# covers the other).
DATABASE_PREPARED_STATEMENTS = bool(DATABASE_URL)  # noqa: F405
if not DATABASE_URL:  # noqa: F405
    # A file (not :memory:) so thread tests share it; TEST_SQLITE_PATH lets parallel runs apart.
    _test_db = os.environ.get("TEST_SQLITE_PATH", str(BASE_DIR / "var" / "test.sqlite3"))  # noqa: F405
    DATABASES["default"]["NAME"] = _test_db  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _test_db}  # noqa: F405
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "domus-test"  # noqa: F405
    CACHES["security"]["KEY_PREFIX"] = "domus-test-security"  # noqa: F405
SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP, whatever BEHIND_PROXY says
