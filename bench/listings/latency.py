"""Server-side latency of the listing-portal queries, measured in-process.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python bench/listings/latency.py --requests 200 --explain bench/listings/explain.txt

Each scenario (bench/listings/scenarios.py) is requested ``--requests`` times, one
after the other, through Django's test client: the whole Django + Ninja stack, the ORM
and the database, without a network or an HTTP server, as an anonymous visitor (public
reads). Detail requests cycle over 500 ids sampled at random. The cached answers
(facets, map clusters; ``domus.properties.caching``) are measured three times: cold,
with the cache emptied before every request (untimed), so every request computes its
answer in the database; stale, with the listings' cache version bumped before every
request, as after a listing write (the stale answer is served and its recomputation
is queued for a Celery worker: run without eager Celery); and warm, from the cache.
Prints p50/p95/p99 and queries per request as a Markdown table; ``--explain FILE`` writes ``EXPLAIN (ANALYZE,
BUFFERS)`` of every query of the slowest scenario (by p95). Bounded: at most 2,000
requests per scenario. It only reads.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenarios import SCENARIOS  # noqa: E402

MAX_REQUESTS = 2000
# Answers cached in the Django cache (measured cold and warm).
CACHED_PATHS = ("properties/facets/", "properties/map/")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10, help="Unmeasured requests per scenario first.")
    parser.add_argument("--only", help="Run only scenarios whose name contains this text.")
    parser.add_argument("--cache", choices=("cold", "stale", "warm", "all"), default="all", help="For cached answers.")
    parser.add_argument("--explain", help="Write EXPLAIN ANALYZE of the slowest scenario's queries to this file.")
    parser.add_argument("--json", help="Also write the rows as JSON to this file (bench/bench.py reads it).")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from domus.core.startup import prepare_to_serve
    from domus.properties.caching import listing_cache_bump
    from domus.properties.models import Listing
    from domus.properties.selectors import public_listing_q

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.RATE_LIMITS_ENABLED = False
    if settings.CELERY_TASK_ALWAYS_EAGER:
        parser.error("run with a Celery broker (REDIS_URL): the stale measurement must not recompute in-process")
    client = Client()
    ids = list(Listing.objects.filter(public_listing_q()).order_by("?").values_list("pk", flat=True)[:500])
    total = Listing.objects.count()
    print(f"{connection.vendor}, {total:,} live listings, {args.requests} requests per scenario\n")
    prepare_to_serve()  # as served: the loaded app frozen out of the garbage collector's reach
    print("| query | cache | p50 ms | p95 ms | p99 ms | req/s (1 client) | SQL queries |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    results: dict[str, dict] = {}
    rows: list[dict] = []
    for name, path in SCENARIOS.items():
        if args.only and args.only not in name:
            continue
        urls = [f"/api/v1/{path.format(id=pk)}" for pk in ids] if "{id}" in path else [f"/api/v1/{path}"]
        for n in range(args.warmup):
            client.get(urls[n % len(urls)])
        modes = ("cold", "stale", "warm") if args.cache == "all" else (args.cache,)
        for mode in modes if path.startswith(CACHED_PATHS) else ("-",):
            timings = []
            elapsed = 0.0
            with CaptureQueriesContext(connection) as captured:
                for n in range(args.requests):
                    if mode == "cold":
                        cache.clear()
                    elif mode == "stale":
                        listing_cache_bump()
                    t0 = time.perf_counter()
                    response = client.get(urls[n % len(urls)])
                    timings.append((time.perf_counter() - t0) * 1000)
                    elapsed += timings[-1] / 1000
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: {urls[n % len(urls)]} answered {response.status_code}")
            label = name if mode == "-" else f"{name} [{mode}]"
            results[label] = {"p95": percentile(timings, 95), "url": urls[0], "mode": mode}
            rows.append(
                {
                    "query": name,
                    "cache": mode,
                    "p50_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(percentile(timings, 95), 2),
                    "p99_ms": round(percentile(timings, 99), 2),
                    "rps_1_client": round(args.requests / elapsed),
                    "sql_queries": round(len(captured.captured_queries) / args.requests, 1),
                }
            )
            print(
                f"| {name} | {mode} | {statistics.median(timings):.2f} | {percentile(timings, 95):.2f} | "
                f"{percentile(timings, 99):.2f} | {args.requests / elapsed:.0f} | "
                f"{len(captured.captured_queries) / args.requests:.1f} |",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"listings": total, "requests": args.requests, "rows": rows}, indent=2))
    if args.explain and results and connection.vendor == "postgresql":
        slowest = max(results, key=lambda k: results[k]["p95"])
        cache.clear()  # the slowest is measured as computed, not as cached
        with CaptureQueriesContext(connection) as captured:
            client.get(results[slowest]["url"])
        lines = [f"Slowest by p95: {slowest}  GET {results[slowest]['url']}\n"]
        with transaction.atomic(), connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if sql.lstrip().upper().startswith("SET "):  # settings the request made (SET LOCAL work_mem)
                    cursor.execute(sql)
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines.append(f"-- {sql}\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n")
        Path(args.explain).write_text("\n".join(lines))
        print(f"\nEXPLAIN ANALYZE of '{slowest}' written to {args.explain}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
