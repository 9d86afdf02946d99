"""Reports benchmark on PostgreSQL: the comparative market analysis over N listings.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_rep REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/listings/generate.py --count 100000 --replace
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/reports/bench.py --requests 50

1. Setup (not timed; skipped when already done): the listings of ``bench/listings/generate.py``
   (N listings over Kenyan and other cities) are handed to one company ("bench-reports"),
   a staff member of it is created, and one closed deal is recorded for every sold sale
   listing (its price less 0-8 %), so the CMA has transaction prices to rank first.
2. CMA (timed): ``POST /api/v1/reports/cma/`` through Django's test client as that staff
   member, for ``--requests`` subject listings drawn with a fixed seed among the published
   available ones with coordinates and an area (``--warmup`` first): p50/p95/max, the
   number of candidates and comparables, and its SQL queries. Then the PDF a few times.

Refuses SQLite and databases whose name lacks "domus". Numbers go to bench/reports/README.md.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from domus.accounts.models import User  # noqa: E402
from domus.accounts.tokens import issue_pair  # noqa: E402
from domus.core.ids import uuid7  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.core.startup import prepare_to_serve  # noqa: E402
from domus.organizations.models import Company, Membership  # noqa: E402
from domus.properties.models import Listing  # noqa: E402
from domus.sales.models import Deal  # noqa: E402

SLUG = "bench-reports"
STAFF_EMAIL = "bench-reports-staff@bench.example.com"
OWNER_EMAIL = "bench-owner@bench.example.com"


def _guard() -> None:
    name = connection.settings_dict["NAME"]
    if not settings.IS_POSTGRES or "domus" not in str(name):
        sys.exit(f"refusing to run on {connection.vendor} database {name!r}")


def setup() -> tuple[User, float]:
    started = time.perf_counter()
    company = Company.objects.filter(slug=SLUG).first()
    if company is None:
        company = Company.objects.create(name="Bench reports", slug=SLUG, email="reports@bench.example.com")
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        staff = User.objects.create_user(
            username=STAFF_EMAIL, email=STAFF_EMAIL, password="bench-only-password-42", role=Role.STAFF
        )
        Membership.objects.create(user=staff, company=company, role=Role.STAFF, status="accepted", is_active=True)
    owner = User.objects.get(email=OWNER_EMAIL)
    with transaction.atomic():
        Listing.all_objects.filter(owner=owner, company__isnull=True).update(company=company)
        # Sold listings without their deal yet: all of them the first time, the added ones later.
        rng = random.Random(7)
        sold = (
            Listing.objects.filter(owner=owner, listing_type="sale", status="sold")
            .exclude(id__in=Deal.objects.filter(company=company).values("listing_id"))
            .values_list("id", "price", "currency", "created_at")
        )
        deals = []
        for listing_id, price, currency, created in sold.iterator(chunk_size=5000):
            amount = (price * Decimal(str(1 - rng.uniform(0, 0.08)))).quantize(Decimal("0.01"))
            deals.append(
                Deal(
                    id=uuid7(),
                    company=company,
                    listing_id=listing_id,
                    amount=amount,
                    currency=currency,
                    status="closed_won",
                    closed_at=created + timedelta(days=rng.randint(10, 120)),
                )
            )
        Deal.objects.bulk_create(deals, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE properties_listing")
        cursor.execute("ANALYZE sales_deal")
    return staff, round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pdf", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--explain", type=Path, help="EXPLAIN (ANALYZE, BUFFERS) of the slowest CMA, to this file.")
    args = parser.parse_args(argv)
    _guard()
    staff, setup_seconds = setup()
    client = Client(headers={"Authorization": f"Bearer {issue_pair(staff).access}"})
    subjects = list(
        Listing.objects.filter(
            is_published=True, status="available", latitude__isnull=False, area_m2__isnull=False,
            listing_type="sale",
        ).order_by("id").values_list("id", flat=True)[:5000]
    )  # fmt: skip
    prepare_to_serve()  # as served: the loaded app frozen out of the garbage collector's reach
    rng = random.Random(11)
    picks = [rng.choice(subjects) for _ in range(args.warmup + args.requests)]
    timings, cpu, comps, candidates, queries, slowest_sql = [], [], [], [], [], []
    slowest: tuple[float, list[dict]] = (0.0, [])
    for n, listing_id in enumerate(picks):
        body = json.dumps({"listing_id": str(listing_id)})
        with CaptureQueriesContext(connection) as captured:
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.post("/api/v1/reports/cma/", body, content_type="application/json")
            t1, c1 = time.perf_counter(), time.process_time()
        if response.status_code != 200:
            sys.exit(f"CMA answered {response.status_code}: {response.content[:300]!r}")
        if n < args.warmup:
            continue
        data = response.json()
        timings.append((t1 - t0) * 1000)
        cpu.append((c1 - c0) * 1000)
        comps.append(len(data["comparables"]))
        candidates.append(data["criteria"]["candidates"])
        queries.append(len(captured))
        slowest_sql.append(max(float(q["time"]) * 1000 for q in captured.captured_queries))
        if timings[-1] > slowest[0]:
            slowest = (timings[-1], captured.captured_queries)
    pdf_ms = []
    for listing_id in picks[: args.pdf]:
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/reports/cma/?format=pdf",
            json.dumps({"listing_id": str(listing_id)}),
            content_type="application/json",
        )
        pdf_ms.append((time.perf_counter() - t0) * 1000)
        assert response["Content-Type"] == "application/pdf"

    def pct(values: list[float], q: float) -> float:
        return (
            round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)
            if len(values) > 1
            else round(values[0], 1)
        )

    result = {
        "listings": Listing.objects.count(),
        "deals": Deal.objects.filter(status="closed_won").count(),
        "setup_seconds": setup_seconds,
        "cma": {
            "requests": len(timings),
            "p50_ms": pct(timings, 50),
            "p95_ms": pct(timings, 95),
            "max_ms": round(max(timings), 1),
            "cpu_p50_ms": pct(cpu, 50),
            "cpu_p95_ms": pct(cpu, 95),
            "comparables_mean": round(statistics.mean(comps), 1),
            "candidates_mean": round(statistics.mean(candidates), 1),
            "queries": max(queries),
            "slowest_sql_p95_ms": pct(slowest_sql, 95),
        },
        "pdf": {"requests": len(pdf_ms), "p50_ms": pct(pdf_ms, 50), "max_ms": round(max(pdf_ms), 1)},
    }
    print(json.dumps(result, indent=2))
    if args.explain:
        lines = [f"=== the slowest CMA of the run ({slowest[0]:.1f} ms): its statements"]
        with connection.cursor() as cursor:
            for statement in slowest[1]:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement['sql']}")
                lines += [statement["sql"], *(line for (line,) in cursor.fetchall()), ""]
        args.explain.write_text("\n".join(lines) + "\n")
    if args.json:
        args.json.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
