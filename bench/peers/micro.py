"""Each request-path change on its own, before and after, in µs per request (the best of
many repeats, so a busy machine inflates both sides the least):

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/peers/micro.py

- route resolution: Django's walk over the API's patterns in order against ``IndexedResolver``;
- alias rewriting: every alias's pattern in declared order against ``AliasIndex``;
- a rate-limit hit: the cache API's ``add`` + ``incr`` (3 Redis round trips) against one ``MULTI``;
- the connection health check: one ``SELECT 1`` round trip;
- a request's header reads: Django's ``HttpHeaders`` against ``EnvironHeaders``;
- rendering a search page's 20 cards: Ninja's field-by-field getter (and the features
  through ``obj.features.all()``) against ``ReadOut`` (when the database holds listings);
- a full garbage collection of the loaded app, without and with ``gc.freeze()``.
"""

import gc
import os
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")


def best_us(old, new, number: int = 200, repeat: int = 15) -> tuple[float, float]:
    """The best time of ``old`` and of ``new``, their repeats interleaved (the load of a
    shared machine falls on both alike)."""
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for call, found in zip((old, new), timings, strict=True):
            found.append(timeit.timeit(call, number=number) / number * 1e6)
    return min(timings[0]), min(timings[1])


def main() -> int:
    from django.core.wsgi import get_wsgi_application

    get_wsgi_application()
    from django.db import connection
    from django.urls import URLResolver

    from domus.core import throttling
    from domus.core.routing import IndexedResolver, alias_index, aliases
    from domus.urls import urlpatterns

    indexed = next(p for p in urlpatterns if isinstance(p, IndexedResolver))
    walk = URLResolver(
        indexed.pattern, indexed.urlconf_name, indexed.default_kwargs, indexed.app_name, indexed.namespace
    )
    rows = []
    for path in ("ops/health/", "properties/", "properties/01a249e2-cd20-768c-9b2c-62efe05adae7/", "accounts/me/"):
        full = f"api/v1/{path}"
        rows.append((f"resolve `{path}`", *best_us(lambda f=full: walk.resolve(f), lambda f=full: indexed.resolve(f))))

    def regexes(rest: str) -> str:
        for alias in aliases():
            rewritten = alias.rewrite(rest)
            if rewritten is not None:
                return rewritten
        return rest

    for rest in ("health", "properties/01a249e2-cd20-768c-9b2c-62efe05adae7", "accounts/me"):
        rows.append((f"alias `{rest[:24]}`", *best_us(lambda r=rest: regexes(r), lambda r=rest: alias_index().find(r))))

    rows.append(("a request's header reads", *best_us(*header_reads())))
    rows.extend(card_rendering())

    cache = throttling.security_cache

    def add_incr() -> int:
        cache.add("rl:micro:old", 0, timeout=60)
        return cache.incr("rl:micro:old")

    new_hit = lambda: throttling.hit("micro:new", limit=10**9, period=60)  # noqa: E731
    rows.append(("rate-limit hit (Redis)", *best_us(add_incr, new_hit, number=100)))
    connection.ensure_connection()
    check, _ = best_us(connection.is_usable, lambda: None, number=100)
    rows.append(("connection health check (`SELECT 1`), on against off", check, 0.0))

    def pause_ms() -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            gc.collect()
            timings.append((time.perf_counter() - started) * 1e3)
        return statistics.median(timings)

    tracked = len(gc.get_objects())
    before = pause_ms()
    gc.freeze()
    after = pause_ms()
    gc.unfreeze()
    print("| step | before µs | after µs |")
    print("| --- | ---: | ---: |")
    for name, old, new in rows:
        print(f"| {name} | {old:,.1f} | {new:,.1f} |")
    print(f"| full garbage collection, {tracked:,} tracked objects (ms) | {before:,.1f} | {after:,.2f} |")
    return 0


def header_reads() -> tuple:
    """The headers an API request reads (request id, user agent, CORS, envelope, auth)."""
    from django.http.request import HttpHeaders

    from domus.core.middleware import EnvironHeaders

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/health/", "QUERY_STRING": "", "SERVER_NAME": "x"}
    environ |= {"SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "", "CONTENT_LENGTH": ""}
    environ |= {"HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk", "HTTP_ACCEPT": "*/*", "wsgi.run_once": False}

    def reads(headers: type) -> None:
        found = headers(environ)
        found.get("X-Request-ID", "")
        found.get("User-Agent", "")
        "access-control-request-method" in found  # noqa: B015
        found.get("origin")
        found.get("X-Response-Envelope")
        found.get("Authorization")

    return lambda: reads(HttpHeaders), lambda: reads(EnvironHeaders)


def card_rendering() -> list[tuple[str, float, float]]:
    """A search page's 20 cards validated by Ninja's getter and by ``ReadOut``."""
    from ninja import Schema

    from domus.properties import selectors
    from domus.properties.schemas import ListingCardOut, ListingFilters

    cards = list(selectors.listing_search_for_actor(actor=None, filters=ListingFilters()).rows[:20])
    if not cards:
        return []
    resolvers = {
        name: staticmethod(resolver._func)
        for name, resolver in ListingCardOut._ninja_resolvers.items()
        if name != "features"
    }
    getter_card = type(
        "GetterCard",
        (Schema,),
        {
            "__annotations__": dict(ListingCardOut.__annotations__),
            "distance_km": None,
            "cover_thumbnail_url": None,
            **{f"resolve_{name}": func for name, func in resolvers.items()},
            "resolve_features": staticmethod(lambda obj: [feature.slug for feature in obj.features.all()]),
        },
    )
    old = [getter_card.model_validate(card).model_dump_json() for card in cards]
    if old != [ListingCardOut.model_validate(card).model_dump_json() for card in cards]:
        raise SystemExit("ReadOut answered other values than Ninja's getter")
    render = lambda schema: [schema.model_validate(card) for card in cards]  # noqa: E731
    return [("rendering 20 search cards", *best_us(lambda: render(getter_card), lambda: render(ListingCardOut), 20))]


if __name__ == "__main__":
    sys.exit(main())
