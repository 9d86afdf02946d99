"""Server-side latency of the dashboard overview over roll-ups, uncached and cached,
beside the same numbers counted from the source tables (what the roll-ups replace).

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench_dashboard_2000 \
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/dashboard/latency.py --requests 100

Loads nothing: run bench/listings/generate.py and bench/crm/generate_leads.py first (what
``make bench BENCH=dashboard`` does). Rebuilds the roll-ups once (timed), then requests
``GET /api/v1/analytics/dashboard/overview/`` through Django's test client (the whole
stack, JWT auth, no HTTP server) as a platform admin and as the staff member of the
largest bench company: uncached (the answer cache emptied before each request; the
roll-ups read, one query) and cached. The "source tables" rows time the aggregate
selectors the overview used before roll-ups, for the same scopes. Only reads, apart from
the roll-ups and the cache; bounded at 2,000 requests per scenario.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MAX_REQUESTS = 2000
URL = "/api/v1/analytics/dashboard/overview/?period=last_12_months"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def row(name: str, who: str, timings: list[float], cpu: list[float], captured: list[dict]) -> dict:
    return {
        "scenario": name,
        "as": who,
        "p50_ms": round(percentile(timings, 50), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "cpu_p95_ms": round(percentile(cpu, 95), 2),
        "queries": len(captured),
        "slowest_sql_ms": round(max((float(q["time"]) * 1000 for q in captured), default=0.0), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", help="Also write the rows as JSON to this file (bench/bench.py reads it).")
    parser.add_argument("--explain", help="Write EXPLAIN (ANALYZE, BUFFERS) of an uncached request's statements here.")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from domus.accounts.tokens import issue_pair
    from domus.analytics import rollups
    from domus.analytics import selectors as dashboards
    from domus.analytics.models import Rollup
    from domus.core.roles import Role
    from domus.core.startup import prepare_to_serve
    from domus.crm.models import Lead
    from domus.properties.models import Listing

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.RATE_LIMITS_ENABLED = False
    users = get_user_model().objects
    admin = users.filter(role=Role.ADMIN).first() or users.create(
        email="bench-dashboard-admin@bench.example.com", username="bench-dashboard-admin", role=Role.ADMIN
    )
    staff = users.get(email="bench-crm-staff0@bench.example.com")
    listings, leads = Listing.objects.count(), Lead.objects.count()
    started = time.perf_counter()
    counters = rollups.rollup_rebuild()
    rebuild_s = time.perf_counter() - started
    print(f"{listings:,} listings, {leads:,} leads; roll-ups rebuilt in {rebuild_s:.2f} s ({counters:,} counters)")

    clients = {
        who: Client(headers={"Authorization": f"Bearer {issue_pair(user).access}"})
        for who, user in (("admin", admin), ("staff", staff))
    }
    prepare_to_serve()  # as served: the loaded app frozen out of the garbage collector's reach
    rows, explain_lines = [], []
    for who, client in clients.items():
        for cached in (False, True):
            for _ in range(args.warmup):
                assert client.get(URL).status_code == 200
            timings, cpu = [], []
            for _ in range(args.requests):
                if not cached:
                    cache.clear()
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(URL)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == 200, response.content
            if not cached:
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                client.get(URL)
            name = f"overview, roll-ups, {'cached' if cached else 'uncached'}"
            rows.append(row(name, who, timings, cpu, queries.captured_queries))
            if args.explain and not cached:
                explain_lines.append(f"=== {name} ({who}): GET {URL}")
                with connection.cursor() as cursor:
                    for captured in queries.captured_queries:
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {captured['sql']}")
                        explain_lines += [captured["sql"], *(line for (line,) in cursor.fetchall()), ""]
        # The same numbers from the source tables (the aggregate selectors, no HTTP).
        scope = dashboards.caller_scope(admin if who == "admin" else staff)
        period, _ = dashboards.resolve_period(start=None, end=None, name="last_12_months")
        timings, cpu = [], []
        for _ in range(max(1, min(args.requests, 20))):
            started, cpu_started = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as queries:
                for source in ("listings", "leads", "deals", "payments"):
                    dashboards.LIVE_ROWS[source](scope=scope, period=period)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        name = "overview's counts from the source tables (before roll-ups)"
        rows.append(row(name, who, timings, cpu, queries.captured_queries))

    print()
    print("| scenario | as | p50 ms | p95 ms | p99 ms | CPU p95 ms | queries | slowest SQL ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['scenario']} | {r['as']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['cpu_p95_ms']} | "
            f"{r['queries']} | {r['slowest_sql_ms']} |"
        )
    if args.explain:
        Path(args.explain).write_text("\n".join(explain_lines) + "\n")
    if args.json:
        data = {
            "listings": listings,
            "leads": leads,
            "rollup_rows": Rollup.objects.count(),
            "rebuild_seconds": round(rebuild_s, 2),
            "requests": args.requests,
            "rows": rows,
        }
        Path(args.json).write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
