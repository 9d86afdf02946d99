"""Rate limits per scope (docs/api.md "Rate limits"): fixed windows counted atomically in the ``security`` cache,
which is Redis when ``REDIS_URL`` is set, so limits hold across processes.

That cache holds only security counters (these windows and the login lockout), so no
amount of other cached data can evict them."""

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.utils.connection import ConnectionProxy
from ninja.throttling import BaseThrottle

from domus.core.exceptions import ValidationFailed
from domus.core.middleware import client_ip

# The store of security counters (settings.CACHES["security"]).
security_cache = ConnectionProxy(caches, "security")

View = Callable[..., HttpResponse]
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int  # Unix time at which the window ends

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset - time.time()))


def parse_rate(rate: str) -> tuple[int, int]:
    """``"5/m"`` -> ``(5, 60)``."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0]]
    except (ValueError, KeyError, IndexError):
        raise ValidationFailed(f"Invalid rate limit {rate!r}; expected '<count>/<s|m|h|d>'.") from None


def hit(key: str, *, limit: int, period: int) -> tuple[RateLimitState, bool]:
    """Count one hit on ``key`` in the current window; answer the window's state and
    whether the hit is within the limit.

    The count is atomic (Redis ``INCR``; the lock of the local-memory cache), so two
    processes can never both take the last slot.
    """
    window_start = int(time.time()) // period * period
    reset = window_start + period
    used = _count(f"rl:{key}:{window_start}", timeout=period + 1)
    return RateLimitState(limit=limit, remaining=max(0, limit - used), reset=reset), used <= limit


def _count(window_key: str, *, timeout: int) -> int:
    """Add one to the window's counter and answer it. On Redis, one command per request:
    a script that counts and, on the window's first hit, sets its expiry (cheaper for
    the worker than the ``MULTI``/``SET NX EX``/``INCR``/``EXEC`` pipeline it replaced,
    which has four replies to read; the cache API's ``add`` + ``incr`` would cost three
    round trips: ``incr`` first asks ``EXISTS``)."""
    backend = caches["security"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(window_key)
        client = backend._cache.get_client(key, write=True)
        return int(_window_counter(client)(keys=[key], args=[timeout], client=client))
    security_cache.add(window_key, 0, timeout=timeout)
    try:
        return security_cache.incr(window_key)
    except ValueError:  # the key expired between add and incr
        security_cache.add(window_key, 1, timeout=timeout)
        return 1


_WINDOW_COUNTER = """
local used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return used
"""


@functools.lru_cache(maxsize=8)
def _window_counter(client: Any) -> Any:
    """The counting script, sent by its digest (``EVALSHA``; redis-py sends the source
    again after a Redis restart has forgotten it)."""
    return client.register_script(_WINDOW_COUNTER)


def rate_limited_posts(scope: str) -> Callable[[View], View]:
    """Decorate a plain Django view (a form page such as the admin login): its POSTs
    count against ``scope`` per client IP, the same windows as the API's, and one over
    the limit is answered 429 with ``Retry-After``."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST" and settings.RATE_LIMITS_ENABLED:
                limit, period = parse_rate(settings.RATE_LIMITS[scope])
                state, allowed = hit(f"{scope}:ip:{client_ip(request)}", limit=limit, period=period)
                if not allowed:
                    response = HttpResponse(
                        "Too many attempts. Try again later.\n", status=429, content_type="text/plain"
                    )
                    response["Retry-After"] = str(state.retry_after)
                    return response
            return view(request, *args, **kwargs)

        return limited

    return decorate


class ScopedRateLimit(BaseThrottle):
    """Limits one scope of ``settings.RATE_LIMITS`` per user (or per client IP when
    anonymous). Put ``throttle=ScopedRateLimit("auth")`` on an operation."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self._local = threading.local()  # one instance serves every request of an operation

    def scope_for(self, request: HttpRequest) -> str:
        return self.scope

    def allow_request(self, request: HttpRequest) -> bool:
        if not settings.RATE_LIMITS_ENABLED:
            return True
        scope = self.scope_for(request)
        limit, period = parse_rate(settings.RATE_LIMITS[scope])
        user = getattr(request, "auth", None)
        ident = f"user:{user.pk}" if getattr(user, "pk", None) else f"ip:{client_ip(request)}"
        state, allowed = hit(f"{scope}:{ident}", limit=limit, period=period)
        request.rate_limit = state
        self._local.state = state
        return allowed

    def wait(self) -> float | None:
        state = getattr(self._local, "state", None)
        return state.retry_after if state else None


class MethodRateLimit(ScopedRateLimit):
    """The API-wide default: reads (GET, HEAD) and writes have their own budgets."""

    def __init__(self) -> None:
        super().__init__("read")

    def scope_for(self, request: HttpRequest) -> str:
        return "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"
