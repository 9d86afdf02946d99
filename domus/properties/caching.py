"""The cache of aggregate listing answers (facets, map clusters).

An answer is cached under its normalised filters and the caller's visibility scope,
with the version number of the listings it was computed from. Every listing write
bumps the version after commit. An answer is fresh while its version is current and it
is younger than ``LISTING_CACHE_SECONDS`` (default 60). A stale answer of the public
scope is still served, and one background job (``tasks.listing_aggregate_refresh``)
recomputes it ("stale-while-revalidate"): after a write, readers do not wait for a
scan of every listing; the answer catches up within one recomputation. With eager
Celery (tests, the embedded default) the recomputation runs at once and the reader
gets the fresh answer. Unused answers leave the cache after
``LISTING_CACHE_STALE_SECONDS`` (default 600). The cache is Redis in production (shared
by every process) and local memory in the embedded default."""

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "properties:listings:version"
# One recomputation of an answer at a time; a lost job frees the key after this.
REFRESH_LOCK_SECONDS = 60

logger = logging.getLogger(__name__)


def cache_seconds() -> int:
    return settings.LISTING_CACHE_SECONDS


def stale_seconds() -> int:
    return max(cache_seconds(), settings.LISTING_CACHE_STALE_SECONDS)


def listing_cache_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return int(version)


def listing_cache_bump() -> None:
    """Make every cached listing aggregate stale (call after a listing write commits)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted): any new one differs from what was cached
        cache.add(VERSION_KEY, 2, timeout=None)


def versioned(key: str, compute: Callable[[], Any]) -> Any:
    """The value cached under ``key`` if it was computed from the current listings (and,
    like every cached answer, less than ``LISTING_CACHE_SECONDS`` ago: a row written
    behind the services' back moves no version), else ``compute()``, cached. One cache
    round trip when it is (the version and the entry in one ``get_many``): for answers
    that must follow every listing write at once, such as a search's count."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    entry = found.get(key)
    if version is not None and entry is not None and entry[0] == version and time.time() - entry[1] < cache_seconds():
        return entry[2]
    version = listing_cache_version() if version is None else version  # read first, as in store_answer
    value = compute()
    cache.set(key, (version, time.time(), value), timeout=cache_seconds())
    return value


def cache_key(namespace: str, scope: str, params: dict[str, Any]) -> str:
    """A key for ``params`` (filters without empty values, in a canonical order)."""
    canonical = json.dumps({k: v for k, v in params.items() if v is not None}, sort_keys=True, default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"properties:{namespace}:{scope}:{digest}"


def store_answer(namespace: str, scope: str, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """Compute the answer for ``params`` and cache it with the version it was computed from."""
    version = listing_cache_version()  # read first: a write during the computation leaves it stale
    answer = compute()
    cache.set(cache_key(namespace, scope, params), (version, time.time(), answer), timeout=stale_seconds())
    return answer


def cached_answer(
    namespace: str,
    scope: str | None,
    params: dict[str, Any],
    compute: Callable[[], Any],
    refresh: Callable[[], None] | None = None,
) -> Any:
    """The cached answer for ``params``, computed and stored on a miss. A stale answer
    is served when ``refresh`` is given (which starts its recomputation), else it is
    recomputed now. ``scope`` None (a caller who sees more than the public, e.g. a
    listing owner) is never cached."""
    if scope is None:
        return compute()
    key = cache_key(namespace, scope, params)
    entry = cache.get(key)
    if entry is not None:
        version, computed_at, answer = entry
        if version == listing_cache_version() and time.time() - computed_at < cache_seconds():
            return answer
        if refresh is not None:
            if cache.add(f"{key}:refreshing", 1, timeout=REFRESH_LOCK_SECONDS):
                try:
                    refresh()
                except Exception:  # a broker outage must not fail a read that has an answer
                    logger.exception("could not start the refresh of %s", key)
                    cache.delete(f"{key}:refreshing")
                entry = cache.get(key) or entry  # a refresh that ran at once (eager Celery) is fresh
            return entry[2]
    return store_answer(namespace, scope, params, compute)


def refresh_done(namespace: str, scope: str, params: dict[str, Any]) -> None:
    cache.delete(f"{cache_key(namespace, scope, params)}:refreshing")
