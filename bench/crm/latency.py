"""Server-side latency of the lead list with filters and ``ordering=-score``, in-process.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_crm_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/crm/latency.py --requests 200 --explain bench/crm/explain.txt

Loads data with bench/crm/generate_leads.py first. Each scenario is requested
``--requests`` times through Django's test client (the whole Django + Ninja stack, JWT
auth, the tenancy scope, the ORM and PostgreSQL; no network or HTTP server) as the
staff member of the 300k-lead bench company, or as one of its agents. Prints p50/p95/p99
and queries per request as a Markdown table; ``--explain FILE`` writes ``EXPLAIN
(ANALYZE, BUFFERS)`` of every query of each scenario. Bounded at 2,000 requests per
scenario; it only reads.
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
URL = "/api/v1/crm/leads/"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def scenarios(agent_id: str) -> list[tuple[str, str, str]]:
    """(name, who, query string)."""
    return [
        ("all, -score", "staff", "ordering=-score"),
        ("status=qualified, -score", "staff", "status=qualified&ordering=-score"),
        ("source=contact_form, -score", "staff", "source=contact_form&ordering=-score"),
        ("status=new + source=listing_inquiry, -score", "staff", "status=new&source=listing_inquiry&ordering=-score"),
        ("assigned_agent_id, -score", "staff", f"assigned_agent_id={agent_id}&ordering=-score"),
        ("min_score=70, -score", "staff", "min_score=70&ordering=-score"),
        ("status=lost + created_after, -score", "staff", "status=lost&created_after=2026-01-01&ordering=-score"),
        ("all, -score, page 50", "staff", "ordering=-score&page=50"),
        ("agent's own, -score", "agent", "ordering=-score"),
        ("agent's own, status=contacted, -score", "agent", "status=contacted&ordering=-score"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10, help="Unmeasured requests per scenario first.")
    parser.add_argument("--explain", help="Write EXPLAIN ANALYZE of each scenario's queries to this file.")
    parser.add_argument("--json", help="Also write the rows as JSON to this file (bench/bench.py reads it).")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from domus.accounts.tokens import issue_pair
    from domus.core.startup import prepare_to_serve
    from domus.crm.models import Lead

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.RATE_LIMITS_ENABLED = False
    users = get_user_model().objects
    staff = users.get(email="bench-crm-staff0@bench.example.com")
    agent = users.get(email="bench-crm-agent0-0@bench.example.com")
    clients = {
        who: Client(headers={"Authorization": f"Bearer {issue_pair(user).access}"})
        for who, user in (("staff", staff), ("agent", agent))
    }
    total, own = Lead.objects.count(), Lead.objects.filter(company__name="Bench Realty 0").count()
    print(f"{total:,} leads in the database; {own:,} in the staff's company")
    print()
    prepare_to_serve()  # as served: the loaded app frozen out of the garbage collector's reach
    print("| scenario | as | p50 ms | p95 ms | p99 ms | queries | count |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    explain_lines: list[str] = []
    rows: list[dict] = []
    for name, who, query in scenarios(str(agent.pk)):
        client = clients[who]
        path = f"{URL}?{query}"
        for _ in range(args.warmup):
            assert client.get(path).status_code == 200
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        count = response.json()["count"]
        print(
            f"| {name} | {who} | {percentile(timings, 50):.1f} | {percentile(timings, 95):.1f} | "
            f"{percentile(timings, 99):.1f} | {len(queries)} | {count:,} |"
        )
        rows.append(
            {
                "scenario": name,
                "as": who,
                "p50_ms": round(percentile(timings, 50), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "p99_ms": round(percentile(timings, 99), 1),
                "queries": len(queries),
                "count": count,
            }
        )
        if args.explain:
            explain_lines.append(f"=== {name} ({who}): GET {path}")
            with connection.cursor() as cursor:
                for captured in queries.captured_queries:
                    sql = captured["sql"]
                    if "crm_lead" not in sql:
                        continue
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    explain_lines.append(sql)
                    explain_lines.extend(row[0] for row in cursor.fetchall())
                    explain_lines.append("")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"leads": total, "company_leads": own, "requests": args.requests, "rows": rows}, indent=2)
        )
    if args.explain:
        Path(args.explain).write_text("\n".join(explain_lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
