"""Server time of the web search page (``/search/``), measured in-process.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench_listings_100000 \
        REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/web/search_page.py --requests 100

Each scenario is requested ``--requests`` times through Django's test client, as an
anonymous visitor: the whole page (form, results, facet counts, pagination, the map's
first box) rendered from templates, or the htmx part alone (what a filter change or a
map move asks for); and, for comparison, the API's search and facets for the same
filters (two requests, timed together). The facet counts are cached like the API's: measured cold (the
cache emptied before every request, untimed) and warm. Prints p50/p95/p99 wall time,
p95 CPU time of this process (the server's Python work; the database's own CPU is not in
it) and SQL queries per request as a Markdown table. It calls ``prepare_to_serve()`` as a
worker does (a full garbage collection is not timed as a request). It only reads.
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

MAX_REQUESTS = 2000
SCENARIOS = {
    "search page, no filter": "/search/",
    "search page, one city": "/search/?city=Nairobi",
    "search page, type + price + bedrooms": "/search/?property_type=apartment&min_price=50000&max_price=20000000"
    "&min_bedrooms=2",
    "search page, text": "/search/?q=garden",
    "search page, map box": "/search/?bbox=36.6,-1.4,37.0,-1.1",
    "search page, page 5 by price": "/search/?sort=price&page=5",
    "results part (htmx), one city": "/search/?city=Mombasa&listing_type=rent",
    # The API's answers for the same searches, measured in the same run, for comparison.
    "API search + facets, no filter": "/api/v1/properties/ + /api/v1/properties/facets/",
    "API search + facets, one city": "/api/v1/properties/?city=Nairobi + /api/v1/properties/facets/?city=Nairobi",
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
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
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from domus.core.startup import prepare_to_serve
    from domus.properties.selectors import listing_visible_to

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.RATE_LIMITS_ENABLED = False
    # Static addresses without the collectstatic manifest (a deployment has one; its lookup is a dict read).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    total = listing_visible_to(None).count()
    prepare_to_serve()
    print(f"{connection.vendor}, {total:,} public listings, {args.requests} requests per scenario\n")
    print("| page | facets cache | p50 ms | p95 ms | p99 ms | p95 CPU ms | SQL queries | HTML bytes | facets |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    rows = []
    for name, url in SCENARIOS.items():
        headers = {"HX-Request": "true"} if "htmx" in name else {}
        for _ in range(args.warmup):
            for part in url.split(" + "):
                client.get(part, headers=headers)
        for mode in ("cold", "warm"):
            timings, cpu, size, facets = [], [], 0, "exact"
            with CaptureQueriesContext(connection) as captured:
                for _ in range(args.requests):
                    if mode == "cold":
                        cache.clear()
                    started, started_cpu = time.perf_counter(), time.process_time()
                    for part in url.split(" + "):
                        response = client.get(part, headers=headers)
                        if response.status_code != 200:
                            raise SystemExit(f"{name}: {part} answered {response.status_code}")
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    size = len(response.content)
                    if b'id="facets-capped"' in response.content:
                        facets = "capped"
            row = {
                "page": name,
                "cache": mode,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(percentile(timings, 95), 2),
                "p99_ms": round(percentile(timings, 99), 2),
                "p95_cpu_ms": round(percentile(cpu, 95), 2),
                "sql_queries": round(len(captured.captured_queries) / args.requests, 1),
                "html_bytes": size,
                "facets": facets,
            }
            rows.append(row)
            print(
                f"| {name} | {mode} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['p99_ms']:.2f} | "
                f"{row['p95_cpu_ms']:.2f} | {row['sql_queries']:.1f} | {size:,} | {facets} |",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"listings": total, "requests": args.requests, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
