"""Inventory benchmarks on PostgreSQL: posting rate (one hot part, and spread over every
part), on hand of one part, and the valuation report (now, and at a past date).

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_inv REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/inventory/bench.py --parts 2000 --branches 5 --history 10

1. Setup (not timed; skipped when the database already holds that size): one company,
   ``--branches`` branches, ``--parts`` spare parts, a stock row per part and branch and
   ``--history`` ledger rows per pair spread over the last 100 days (a receipt of 1,000,
   then alternating issues and receipts of one unit), bulk inserted.
2. Posting (timed): ``--posts`` issues of one unit, each a draft made with
   ``entry_create`` and posted with ``entry_post`` exactly as the API does (row locks in
   (part, branch) order, conditional update, ledger row, audit row), from ``--threads``
   threads: first all on one part at one branch (hot), then each on a random part and
   branch (spread).
3. On hand (timed): a part's stock at every branch, ``stock_of_part``, for random parts;
   and the same through ``GET /api/v1/inventory/spares/{id}/stock/`` (Django test client).
4. Valuation (timed): ``valuation_rows`` for the company now (the stock rows) and at a
   date 50 days back (the last ledger row per pair at that instant); ``--explain`` writes
   both query plans (EXPLAIN ANALYZE, BUFFERS).

Refuses SQLite and databases whose name lacks "domus".
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from domus.accounts.models import User  # noqa: E402
from domus.accounts.tokens import issue_pair  # noqa: E402
from domus.core.filtering import last_instant  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.inventory import selectors  # noqa: E402
from domus.inventory.models import SparePart, Stock, StockEntry, StockEntryLine, StockLedgerEntry  # noqa: E402
from domus.inventory.services import stock as stock_services  # noqa: E402
from domus.organizations.models import Branch, Company  # noqa: E402

COMPANY_SLUG = "inventory-bench"
COST = Decimal("10.0000")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values_ms: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(values_ms), 3),
        "p95_ms": round(percentile(values_ms, 0.95), 3),
        "p99_ms": round(percentile(values_ms, 0.99), 3),
        "n": len(values_ms),
    }


def setup(parts: int, branches: int, history: int) -> tuple[Company, list[Branch], list[SparePart]]:
    company = Company.objects.filter(slug=COMPANY_SLUG).first()
    if company and SparePart.objects.filter(part_number__startswith="BENCH-").count() == parts:
        found = list(Branch.objects.filter(company=company).order_by("code"))
        if (
            len(found) == branches
            and StockLedgerEntry.objects.filter(company=company).count() >= parts * branches * history
        ):
            return (
                company,
                found,
                list(SparePart.objects.filter(part_number__startswith="BENCH-").order_by("part_number")),
            )
    if company:
        sys.exit(f"the database holds another inventory bench size; use a fresh database (company {COMPANY_SLUG})")
    now = timezone.now()
    with transaction.atomic():
        company = Company.objects.create(
            name="Inventory bench", slug=COMPANY_SLUG, status=Company.Status.ACTIVE, activated_at=now
        )
        found = Branch.objects.bulk_create(
            Branch(company=company, name=f"Bench branch {n}", code=f"IB{n:03d}") for n in range(branches)
        )
        part_rows = SparePart.objects.bulk_create(
            (SparePart(part_number=f"BENCH-{n:06d}", name=f"Bench part {n}", cost=COST) for n in range(parts)),
            batch_size=5000,
        )
        entry = StockEntry.objects.create(
            company=company, kind="receipt", status="posted", branch=found[0], posting_date=now.date(), posted_at=now
        )
        lines = StockEntryLine.objects.bulk_create(
            (StockEntryLine(entry=entry, part=part, quantity=1000, unit_cost=COST) for part in part_rows),
            batch_size=5000,
        )
    stocks, ledger = [], []
    for part, line in zip(part_rows, lines, strict=True):
        for branch in found:
            qty = Decimal(0)
            for n in range(history):
                change = Decimal(1000) if n == 0 else Decimal(-1 if n % 2 else 1)
                qty += change
                at = now - timedelta(days=100) + timedelta(days=100 * n / max(history, 1))
                ledger.append(
                    StockLedgerEntry(
                        company=company,
                        part=part,
                        branch=branch,
                        entry=entry,
                        line=line,
                        kind="receipt" if change > 0 else "issue",
                        qty_change=change,
                        qty_after=qty,
                        unit_cost=COST,
                        value_change=change * COST,
                        value_after=qty * COST,
                        currency="KES",
                        posting_date=at.date(),
                        created_at=at,
                    )
                )
            stocks.append(
                Stock(part=part, branch=branch, company=company, on_hand=qty, value=qty * COST, currency="KES")
            )
            if len(ledger) >= 20000:
                StockLedgerEntry.objects.bulk_create(ledger, batch_size=5000)
                ledger = []
    StockLedgerEntry.objects.bulk_create(ledger, batch_size=5000)
    Stock.objects.bulk_create(stocks, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return company, found, part_rows


def post_rate(admin, pairs: list[tuple[SparePart, Branch]], posts: int, threads: int) -> dict:
    """``posts`` issues of one unit over ``pairs`` (one pair: a hot part), from ``threads``."""
    per_thread = posts // threads
    start = threading.Barrier(threads)
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait(timeout=60)
            for _ in range(per_thread):
                part, branch = rng.choice(pairs)
                began = time.perf_counter()
                try:
                    entry = stock_services.entry_create(
                        actor=admin,
                        kind="issue",
                        branch_id=branch.pk,
                        lines=[{"part_id": part.pk, "quantity": Decimal(1)}],
                    )
                    stock_services.entry_post(actor=admin, entry_id=entry.pk)
                except Exception as error:
                    with lock:
                        failures.append(repr(error))
                    continue
                with lock:
                    timings.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    return {
        "posted": len(timings),
        "failures": len(failures),
        "first_failure": failures[0] if failures else "",
        "seconds": round(seconds, 3),
        "entries_per_second": round(len(timings) / seconds, 1) if seconds else 0.0,
        **summary(timings or [0.0]),
    }


def on_hand(parts: list[SparePart], samples: int, admin) -> dict:
    chosen = [random.choice(parts) for _ in range(samples)]
    selector_ms, api_ms = [], []
    for part in chosen:
        began = time.perf_counter()
        list(selectors.stock_of_part(part_id=part.pk))
        selector_ms.append((time.perf_counter() - began) * 1000)
    client = Client(headers={"Authorization": f"Bearer {issue_pair(admin).access}"})
    client.get(f"/api/v1/inventory/spares/{chosen[0].pk}/stock/")  # warm-up: URL conf and schemas load once
    for part in chosen:
        began = time.perf_counter()
        response = client.get(f"/api/v1/inventory/spares/{part.pk}/stock/")
        api_ms.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            sys.exit(f"on-hand answered {response.status_code}: {response.content[:200]!r}")
    return {"selector": summary(selector_ms), "api": summary(api_ms)}


def plan_of(company: Company, at) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the report's query: the stock rows now, the LATERAL
    ledger query at a date."""
    if at is None:
        return selectors.valuation_rows(company_id=company.pk, at=None).explain(analyze=True, buffers=True)
    params = {"instant": last_instant(at), "company_id": company.pk, "branch_id": None, "part_id": None}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + selectors.VALUATION_AT_SQL, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def valuation(company: Company, runs: int, explain: Path | None) -> dict:
    past = timezone.localdate() - timedelta(days=50)
    out = {}
    plans = []
    for name, at in (("now", None), ("at_past_date", past)):
        timings, rows = [], 0
        for _ in range(runs):
            began = time.perf_counter()
            result = list(selectors.valuation_rows(company_id=company.pk, at=at))
            totals = selectors.valuation_totals(result)
            timings.append((time.perf_counter() - began) * 1000)
            rows = len(result)
        out[name] = {**summary(timings), "rows": rows, "totals": {k: str(v) for k, v in totals.items()}}
        if explain:
            plans.append(
                f"-- valuation {name}{'' if at is None else f' (at {at.isoformat()})'}\n{plan_of(company, at)}\n"
            )
    if explain:
        explain.write_text("\n".join(plans))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--branches", type=int, default=5)
    parser.add_argument("--history", type=int, default=10)
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    database = settings.DATABASES["default"]
    if not settings.IS_POSTGRES or "domus" not in database["NAME"]:
        sys.exit("refusing: needs a PostgreSQL database whose name contains 'domus'")
    began = time.perf_counter()
    company, branches, parts = setup(args.parts, args.branches, args.history)
    setup_seconds = round(time.perf_counter() - began, 1)
    admin = User.objects.filter(email="inventory-bench@example.test").first() or User.objects.create_user(
        username="inventory-bench", email="inventory-bench@example.test", password=None, role=Role.ADMIN
    )
    top_up = stock_services.entry_create(
        actor=admin,
        kind="receipt",
        branch_id=branches[0].pk,
        lines=[{"part_id": parts[0].pk, "quantity": Decimal(args.posts), "unit_cost": COST}],
    )
    stock_services.entry_post(actor=admin, entry_id=top_up.pk)  # the hot part never runs out, run after run
    hot = post_rate(admin, [(parts[0], branches[0])], args.posts, args.threads)
    spread = post_rate(admin, [(p, b) for p in parts for b in branches], args.posts, args.threads)
    result = {
        "parts": len(parts),
        "branches": len(branches),
        "ledger_rows": StockLedgerEntry.objects.filter(company=company).count(),
        "setup_seconds": setup_seconds,
        "hot": hot,
        "spread": spread,
        "on_hand": on_hand(parts, args.samples, admin),
        "valuation": valuation(company, args.runs, args.explain),
    }
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text)
    print(text)
    return 1 if hot["failures"] or spread["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
