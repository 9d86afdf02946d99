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
3. On hand (timed): a part's stock at every branch, ``part_stock_values``, for random parts;
   and the same through ``GET /api/v1/inventory/spares/{id}/stock/`` (Django test client).
4. Valuation (timed): ``GET .../valuation/`` (totals + first page) and the whole report as
   CSV (``GET .../valuation/export/``, with its PostgreSQL backend's CPU) for the company
   now (the stock rows) and at a date 50 days back (the last ledger row per pair at that
   instant); ``--explain`` writes the query plans (EXPLAIN ANALYZE, BUFFERS).
5. The raw PostgreSQL ceiling (timed): the posting's conditional update of a stock row
   and insert of its ledger row as one plain SQL statement, ``--raw-posts`` of them from
   ``--threads`` psycopg connections without Django, hot and spread.

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
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.pgcpu import backend_cpu, process_cpu  # noqa: E402
from domus.accounts.models import User  # noqa: E402
from domus.accounts.tokens import issue_pair  # noqa: E402
from domus.core import copy_out  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.core.startup import prepare_to_serve  # noqa: E402
from domus.inventory import selectors  # noqa: E402
from domus.inventory.models import SparePart, StockEntry, StockLedgerEntry  # noqa: E402
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


def _sql(cursor, statement: str, params: dict | None = None) -> None:
    cursor.execute(statement, params or {})


def setup(parts: int, branches: int, history: int) -> tuple[Company, list[Branch], list[SparePart]]:
    """The data, written by PostgreSQL itself (``INSERT ... SELECT generate_series``), one
    statement per table and per history step: parts, one receipt entry with a line per
    part, ``history`` ledger rows per (part, branch) (a receipt of 1,000, then issues of
    one unit, spread over the last 100 days), the stock rows their last ledger rows
    leave, and one FIFO layer per pair (what is left of the receipt). The ledger's
    secondary indexes are built after its rows are in, and its foreign keys are not
    re-checked row by row (``session_replication_role = replica``): every id written is
    one just made."""
    company = Company.objects.filter(slug=COMPANY_SLUG).first()
    if company:
        found = list(Branch.objects.filter(company=company).order_by("code"))
        count = SparePart.objects.filter(part_number__startswith="BENCH-").count()
        if count == parts and len(found) == branches and _ledger_rows(company) >= parts * branches * history:
            return company, found, _parts()
        sys.exit(f"the database holds another inventory bench size; use a fresh database (company {COMPANY_SLUG})")
    now = timezone.now()
    with transaction.atomic():
        company = Company.objects.create(
            name="Inventory bench", slug=COMPANY_SLUG, status=Company.Status.ACTIVE, activated_at=now
        )
        found = Branch.objects.bulk_create(
            Branch(company=company, name=f"Bench branch {n}", code=f"IB{n:03d}") for n in range(branches)
        )
        entry = StockEntry.objects.create(
            company=company, kind="receipt", status="posted", branch=found[0], posting_date=now.date(), posted_at=now
        )
    params = {
        "company": company.pk,
        "entry": entry.pk,
        "parts": parts,
        "history": history,
        "cost": COST,
        "now": now,
        "start": now - timedelta(days=100),
        "step": timedelta(days=100) / max(history, 1),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        _sql(cursor, "SET LOCAL session_replication_role = replica")
        _sql(cursor, "SET LOCAL maintenance_work_mem = '256MB'")
        _sql(
            cursor,
            """
            INSERT INTO inventory_sparepart (id, created_at, updated_at, part_number, name, description, cost, price,
                                             currency, is_serialized, is_active)
            SELECT gen_random_uuid(), %(now)s, %(now)s, 'BENCH-' || lpad(n::text, 6, '0'), 'Bench part ' || n, '',
                   %(cost)s, 0, 'KES', false, true
            FROM generate_series(0, %(parts)s - 1) n
            """,
            params,
        )
        _sql(
            cursor,
            """
            INSERT INTO inventory_stockentryline (id, created_at, updated_at, entry_id, part_id, quantity, unit_cost,
                                                  serial_numbers)
            SELECT gen_random_uuid(), %(now)s, %(now)s, %(entry)s, p.id, 1000, %(cost)s, '[]'::jsonb
            FROM inventory_sparepart p WHERE p.part_number LIKE 'BENCH-%%'
            """,
            params,
        )
        _sql(
            cursor,
            "CREATE TEMP TABLE bench_pair ON COMMIT DROP AS "
            "SELECT l.part_id, l.id AS line_id, b.id AS branch_id, row_number() OVER () AS k "
            "FROM inventory_stockentryline l CROSS JOIN organizations_branch b "
            "WHERE l.entry_id = %(entry)s AND b.company_id = %(company)s ORDER BY l.part_id, b.id",
            params,
        )
        indexes = _drop_ledger_indexes(cursor)
        for n in range(history):
            # step n: a receipt of 1,000 first, then issues of one unit; the rows of one step
            # are a few seconds apart (k), the steps 100/history days apart
            _sql(
                cursor,
                """
                INSERT INTO inventory_stockledgerentry (company_id, part_id, branch_id, entry_id, line_id, kind,
                    qty_change, qty_after, unit_cost, value_change, value_after, currency, posting_date, created_at)
                SELECT %(company)s, part_id, branch_id, %(entry)s, line_id, kind, change, after, %(cost)s,
                       change * %(cost)s, after * %(cost)s, 'KES', at::date, at
                FROM (SELECT *, CASE WHEN %(n)s = 0 THEN 'receipt' ELSE 'issue' END AS kind,
                             CASE WHEN %(n)s = 0 THEN 1000 ELSE -1 END AS change,
                             1000 - %(n)s AS after,
                             %(start)s + %(step)s * %(n)s + make_interval(secs => k * 0.001) AS at
                      FROM bench_pair) pairs
                """,
                {**params, "n": n},
            )
        for statement in indexes:
            _sql(cursor, statement)
        _sql(
            cursor,
            """
            INSERT INTO inventory_stock (id, created_at, updated_at, part_id, branch_id, company_id, on_hand,
                                         reserved, value, currency, negative_allowed, low_notified)
            SELECT gen_random_uuid(), %(now)s, %(now)s, part_id, branch_id, %(company)s, 1000 - (%(history)s - 1), 0,
                   (1000 - (%(history)s - 1)) * %(cost)s, 'KES', false, false
            FROM bench_pair ORDER BY part_id, branch_id
            """,
            params,
        )
        _sql(
            cursor,
            """
            INSERT INTO inventory_valuationlayer (id, created_at, updated_at, part_id, branch_id, quantity,
                                                  remaining, unit_cost, ledger_id)
            SELECT gen_random_uuid(), e.created_at, %(now)s, e.part_id, e.branch_id, 1000,
                   1000 - (%(history)s - 1), %(cost)s, e.id
            FROM inventory_stockledgerentry e WHERE e.company_id = %(company)s AND e.kind = 'receipt'
            """,
            params,
        )
    with connection.cursor() as cursor:
        for table in (
            "inventory_sparepart",
            "inventory_stock",
            "inventory_stockledgerentry",
            "inventory_valuationlayer",
        ):
            _sql(cursor, f"VACUUM ANALYZE {table}")
    return company, found, _parts()


def _drop_ledger_indexes(cursor) -> list[str]:
    """Drop the ledger's secondary indexes; answers the statements that build them again."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'inventory_stockledgerentry' "
        "AND indexname <> 'inventory_stockledgerentry_pkey'"
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def _ledger_rows(company: Company) -> int:
    return StockLedgerEntry.objects.filter(company=company).count()


def _parts() -> list[SparePart]:
    return list(
        SparePart.objects.filter(part_number__startswith="BENCH-").order_by("part_number").only("id", "part_number")
    )


def post_rate(admin, parts: list[SparePart], branches: list[Branch], posts: int, threads: int) -> dict:
    """``posts`` issues of one unit, each of a random part at a random branch (one of each:
    a hot part), from ``threads``."""
    per_thread = posts // threads
    start = threading.Barrier(threads)
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    cpu_ms: list[float] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        cpu = time.thread_time()
        try:
            start.wait(timeout=60)
            for _ in range(per_thread):
                part, branch = rng.choice(parts), rng.choice(branches)
                began = time.perf_counter()
                try:
                    stock_services.entry_create(
                        actor=admin,
                        kind="issue",
                        branch_id=branch.pk,
                        lines=[{"part_id": part.pk, "quantity": Decimal(1)}],
                        post=True,
                    )
                except Exception as error:
                    with lock:
                        failures.append(repr(error))
                    continue
                with lock:
                    timings.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()
            with lock:
                cpu_ms.append((time.thread_time() - cpu) * 1000)

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
        "cpu_ms_per_entry": round(sum(cpu_ms) / max(len(timings), 1), 3),
        "load": round(os.getloadavg()[0], 2),
        **summary(timings or [0.0]),
    }


RAW_POST_SQL = """
WITH moved AS (
    UPDATE inventory_stock SET on_hand = on_hand - 1, value = value - %(cost)s, updated_at = now()
    WHERE part_id = %(part)s AND branch_id = %(branch)s AND on_hand >= 1
    RETURNING company_id, part_id, branch_id, on_hand, value, currency
)
INSERT INTO inventory_stockledgerentry (company_id, part_id, branch_id, entry_id, line_id, kind, qty_change,
    qty_after, unit_cost, value_change, value_after, currency, posting_date, created_at)
SELECT company_id, part_id, branch_id, %(entry)s, %(line)s, 'issue', -1, on_hand, %(cost)s, -%(cost)s, value,
       currency, now()::date, now()
FROM moved
"""


def raw_ceiling(entry: StockEntry, parts: list[SparePart], branches: list[Branch], posts: int, threads: int) -> dict:
    """What PostgreSQL itself does here without Domus: the same conditional update of a
    stock row and insert of its ledger row (one statement, one transaction each, plain
    psycopg, no Django), ``posts`` of them from ``threads`` connections, each on a random
    part at a random branch (one of each: a hot part)."""
    import psycopg

    database = settings.DATABASES["default"]
    line = entry.lines.values_list("id", flat=True).first()
    per_thread = posts // threads
    start = threading.Barrier(threads)
    written: list[int] = []
    lock = threading.Lock()

    def work(seed: int) -> None:
        rng = random.Random(seed)
        done = 0
        with psycopg.connect(
            dbname=database["NAME"],
            user=database["USER"],
            password=database["PASSWORD"],
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            autocommit=True,
        ) as conn:
            start.wait(timeout=60)
            for _ in range(per_thread):
                params = {
                    "part": rng.choice(parts).pk,
                    "branch": rng.choice(branches).pk,
                    "cost": COST,
                    "entry": entry.pk,
                    "line": line,
                }
                done += conn.execute(RAW_POST_SQL, params).rowcount
        with lock:
            written.append(done)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    return {
        "posted": sum(written),
        "seconds": round(seconds, 3),
        "entries_per_second": round(sum(written) / seconds, 1) if seconds else 0.0,
        "load": round(os.getloadavg()[0], 2),
    }


def timed(func) -> tuple[float, float, Any]:
    """Wall and CPU milliseconds of ``func()`` (CPU: this process's, so the Python side;
    PostgreSQL's own time is in the plans), and its answer."""
    wall, cpu = time.perf_counter(), time.process_time()
    answer = func()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, answer


def summary_cpu(wall: list[float], cpu: list[float]) -> dict:
    return {**summary(wall), "cpu_p50_ms": round(statistics.median(cpu), 3), "load": round(os.getloadavg()[0], 2)}


def on_hand(parts: list[SparePart], samples: int, admin) -> dict:
    chosen = [random.choice(parts) for _ in range(samples)]
    out = {}
    client = Client(headers={"Authorization": f"Bearer {issue_pair(admin).access}"})
    client.get(f"/api/v1/inventory/spares/{chosen[0].pk}/stock/")  # warm-up: URL conf and schemas load once
    prepare_to_serve()  # as served: the loaded app frozen out of the garbage collector's reach

    def api(part):
        response = client.get(f"/api/v1/inventory/spares/{part.pk}/stock/")
        if response.status_code != 200:
            sys.exit(f"on-hand answered {response.status_code}: {response.content[:200]!r}")

    for name, func in (("selector", lambda part: selectors.part_stock_values(part_id=part.pk)), ("api", api)):
        wall, cpu = [], []
        for part in chosen:
            w, c, _ = timed(lambda: func(part))  # noqa: B023
            wall.append(w)
            cpu.append(c)
        out[name] = summary_cpu(wall, cpu)
    return out


def _explain(sql: str, params, settings: dict[str, str] | None = None) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        for name, value in (settings or {}).items():  # as the query runs
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plans_of(scope: selectors.ValuationScope) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each query of the report: the totals, the first page,
    the whole report (what the CSV export's ``COPY`` runs)."""
    out = []
    for name, queryset in zip(
        ("totals: stock", "totals: posted since"), selectors.valuation_total_queries(scope), strict=True
    ):
        if queryset is not None:
            out.append(f"--- {name}\n{queryset.explain(analyze=True, buffers=True)}")
    out.append(f"--- first page (101 rows)\n{_explain(*selectors.valuation_sql(scope, None, 101))}")
    sql, params, run_with = selectors.valuation_export_sql(scope)
    every = _explain(sql, params, run_with)
    out.append(f"--- every row, what the CSV's COPY runs on one connection\n{every}")
    with transaction.atomic(), connection.cursor() as cursor:
        pieces = selectors.valuation_export_plan(scope)(cursor, settings.INVENTORY_EXPORT_CONNECTIONS)
    if len(pieces) > 1:
        last = _explain(*pieces[-1], run_with)
        out.append(f"--- the last of the {len(pieces)} ranges the CSV is cut into, each a COPY of its own\n{last}")
    return "\n\n".join(out)


PIECE_CPU: list[float] = []  # CPU seconds of each piece's backend, as its connection closed
_piece_connection = copy_out._helper


def _counted_piece_connection(*args, **kwargs):
    """``copy_out``'s connection for a piece of the CSV, reporting its backend's CPU
    (its whole life: start, snapshot, ``COPY``) just before it closes, so the export's
    database CPU counts every backend that wrote it."""
    raw = _piece_connection(*args, **kwargs)
    pid, close = raw.info.backend_pid, raw.close

    def close_counted() -> None:
        if (spent := process_cpu(pid)) is not None:
            PIECE_CPU.append(spent)
        close()

    raw.close = close_counted
    return raw


copy_out._helper = _counted_piece_connection


def valuation(company: Company, admin, runs: int, explain: Path | None) -> dict:
    past = timezone.localdate() - timedelta(days=50)
    client = Client(headers={"Authorization": f"Bearer {issue_pair(admin).access}"})
    out, plans = {}, []
    for name, at in (("now", None), ("at_past_date", past)):
        query = f"company_id={company.pk}" + ("" if at is None else f"&at={at.isoformat()}")

        def page(query: str = query) -> dict:
            response = client.get(f"/api/v1/inventory/valuation/?{query}")
            if response.status_code != 200:
                sys.exit(f"valuation answered {response.status_code}: {response.content[:200]!r}")
            return response.json()

        def export(query: str = query) -> tuple[int, int, float | None, int]:
            before = backend_cpu(connection)[1]
            PIECE_CPU.clear()
            response = client.get(f"/api/v1/inventory/valuation/export/?{query}")
            lines = size = 0
            for block in response.streaming_content:
                lines += block.count(b"\n")
                size += len(block)
            after = backend_cpu(connection)[1]
            spent = None if before is None or after is None else (after - before + sum(PIECE_CPU)) * 1000
            return lines - 1, size, spent, 1 + len(PIECE_CPU)

        timings = [timed(page) for _ in range(runs)]
        body = timings[-1][2]
        csv_timings = [timed(export) for _ in range(max(1, runs // 2))]
        out[name] = {
            "page": summary_cpu([t[0] for t in timings], [t[1] for t in timings]),
            "page_rows": len(body["rows"]),
            "totals": body["totals"],
            "csv": summary_cpu([t[0] for t in csv_timings], [t[1] for t in csv_timings]),
            "csv_rows": csv_timings[-1][2][0],
            "csv_bytes": csv_timings[-1][2][1],
            "csv_db_cpu_ms": [t[2][2] for t in csv_timings],  # the PostgreSQL backends', each run
            "csv_backends": csv_timings[-1][2][3],  # that wrote it (``INVENTORY_EXPORT_CONNECTIONS``)
        }
        if explain:
            scope = selectors.ValuationScope.of(company_id=company.pk, at=at)
            plans.append(f"-- valuation {name}{'' if at is None else f' (at {at.isoformat()})'}\n{plans_of(scope)}\n")
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
    parser.add_argument("--raw-posts", type=int, default=4000, help="statements of the raw PostgreSQL ceiling")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", type=Path)
    parser.add_argument("--setup-only", action="store_true", help="load the data and stop")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    database = settings.DATABASES["default"]
    if not settings.IS_POSTGRES or "domus" not in database["NAME"]:
        sys.exit("refusing: needs a PostgreSQL database whose name contains 'domus'")
    began = time.perf_counter()
    company, branches, parts = setup(args.parts, args.branches, args.history)
    setup_seconds = round(time.perf_counter() - began, 1)
    if args.setup_only:
        print(json.dumps({"setup_seconds": setup_seconds, "load": os.getloadavg()}))
        return 0
    admin = User.objects.filter(email="inventory-bench@example.test").first() or User.objects.create_user(
        username="inventory-bench", email="inventory-bench@example.test", password=None, role=Role.ADMIN
    )
    top_up = stock_services.entry_create(
        actor=admin,
        kind="receipt",
        branch_id=branches[0].pk,
        lines=[{"part_id": parts[0].pk, "quantity": Decimal(args.posts + args.raw_posts), "unit_cost": COST}],
    )
    stock_services.entry_post(actor=admin, entry_id=top_up.pk)  # the hot part never runs out, run after run
    hot = post_rate(admin, parts[:1], branches[:1], args.posts, args.threads)
    spread = post_rate(admin, parts, branches, args.posts, args.threads)
    raw_hot = raw_ceiling(top_up, parts[:1], branches[:1], args.raw_posts, args.threads)
    raw_spread = raw_ceiling(top_up, parts, branches, args.raw_posts, args.threads)
    result = {
        "parts": len(parts),
        "branches": len(branches),
        "ledger_rows": StockLedgerEntry.objects.filter(company=company).count(),
        "setup_seconds": setup_seconds,
        "hot": hot,
        "spread": spread,
        "raw_hot": raw_hot,
        "raw_spread": raw_spread,
        "on_hand": on_hand(parts, args.samples, admin),
        "valuation": valuation(company, admin, args.runs, args.explain),
    }
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text)
    print(text)
    return 1 if hot["failures"] or spread["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
