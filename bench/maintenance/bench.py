"""Maintenance benchmarks on PostgreSQL: the desk's work-order list and its overdue list
over HTTP at N work orders.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_maint_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/maintenance/bench.py --orders 1000000 --companies 50

1. Setup (not timed; skipped when the database already holds that size): ``--companies``
   active companies, one staff user each, and ``--orders`` work orders spread evenly over
   them, made by one ``INSERT ... SELECT generate_series`` (created over the last years,
   newest first; in every company 70 % closed, the rest requested, triaged, scheduled or
   in progress, a fifth of the requested ones waiting on the owner; deadlines 8 h / 40 h
   after creation, so nearly every open one is overdue), then ``ANALYZE``.
2. Lists (timed): ``--requests`` requests of each list through the Django test client
   with a staff user's token (scoping, filters, pagination with its count, the response
   schema: all of the API but the server), each request by the staff of a random company:
   ``GET /api/v1/maintenance/bookings/`` (newest first) and ``?overdue=true``;
   ``--explain`` writes both query plans (EXPLAIN ANALYZE, BUFFERS).

Refuses SQLite and databases whose name lacks "domus".
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from domus.accounts.models import User  # noqa: E402
from domus.accounts.tokens import issue_pair  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.core.startup import prepare_to_serve  # noqa: E402
from domus.maintenance import selectors  # noqa: E402
from domus.maintenance.models import WorkOrder  # noqa: E402
from domus.maintenance.schemas import BookingFilters  # noqa: E402
from domus.organizations.models import Company, Membership  # noqa: E402

SLUG = "maintenance-bench"
INSERT_SQL = """
INSERT INTO maintenance_workorder (
    id, created_at, updated_at, company_id, name, email, phone, address, message, notes, status, priority,
    reopen_count, vendor_status, rating_comment, response_due_at, resolve_due_at, sla_paused_at,
    permission_to_enter, preferred_slots, typical_parts_added
)
SELECT
    gen_random_uuid(), c.at, c.at, (%(companies)s::uuid[])[1 + g %% %(n_companies)s],
    'Bench job ' || g, 'bench@example.test', '', '', 'A bench job', '',
    CASE WHEN s.k < 7 THEN 'closed'
         WHEN s.k = 7 THEN (CASE WHEN s.w %% 5 = 0 THEN 'awaiting_approval' ELSE 'requested' END)
         WHEN s.k = 8 THEN 'scheduled' ELSE 'in_progress' END,
    'normal', 0, '', '', c.at + interval '8 hours', c.at + interval '40 hours',
    CASE WHEN s.k = 7 AND s.w %% 5 = 0 THEN c.at + interval '1 hour' END,
    false, '[]'::jsonb, false
FROM generate_series(1, %(orders)s) AS g,
     LATERAL (SELECT now() - (g * %(step)s * interval '1 second') AS at) AS c,
     -- the status cycles within each company (g / companies), not with the company
     LATERAL (SELECT (g / %(n_companies)s) %% 10 AS k, (g / %(n_companies)s / 10) AS w) AS s
"""


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


def setup(orders: int, companies: int) -> list[tuple[Company, User]]:
    found = list(Company.objects.filter(slug__startswith=SLUG).order_by("slug"))
    if found:
        if len(found) != companies or WorkOrder.objects.count() != orders:
            sys.exit("the database holds another maintenance bench size; use a fresh database")
    else:
        now = timezone.now()
        with transaction.atomic():
            found = Company.objects.bulk_create(
                Company(
                    name=f"Maintenance bench {n}",
                    slug=f"{SLUG}-{n:04d}",
                    status=Company.Status.ACTIVE,
                    activated_at=now,
                )
                for n in range(companies)
            )
            for company in found:
                user = User.objects.create_user(
                    username=f"{company.slug}-desk",
                    email=f"{company.slug}@example.test",
                    password=None,
                    role=Role.STAFF,
                )
                Membership.objects.create(user=user, company=company, role=Role.STAFF)
            step = max(1, 3 * 365 * 24 * 3600 // max(orders, 1))  # spread over about three years
            with connection.cursor() as cursor:
                params = {"companies": [str(c.pk) for c in found], "n_companies": companies}
                cursor.execute(INSERT_SQL, {**params, "orders": orders, "step": step})
        with connection.cursor() as cursor:
            # As autovacuum leaves a settled table: statistics and the visibility map (the
            # counts are then index-only scans that skip the heap).
            cursor.execute("VACUUM (ANALYZE) maintenance_workorder")
    desks = {m.company_id: m.user for m in Membership.objects.filter(company__in=found).select_related("user")}
    return [(company, desks[company.pk]) for company in found]


def measure(desks: list[tuple[Company, User]], requests: int) -> dict:
    clients = [Client(headers={"Authorization": f"Bearer {issue_pair(user).access}"}) for _, user in desks]
    out = {}
    for name, path in (
        ("list", "/api/v1/maintenance/bookings/"),
        ("overdue", "/api/v1/maintenance/bookings/?overdue=true"),
    ):
        for client in clients[:3]:  # warm-up: URL conf, schemas, connections
            client.get(path)
        statements: list[str] = []

        def counted(execute, sql, params, many, context, seen=statements):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            clients[0].get(path)  # (CaptureQueriesContext is emptied by the request_started signal)
        # As served: the WSGI and ASGI entry points freeze the loaded app out of the garbage
        # collector's reach, or each full collection walks it (~290 ms inside some requests).
        prepare_to_serve()
        timings, cpu, counts = [], [], []
        for _ in range(requests):
            client = random.choice(clients)
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timings.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)  # this process only: not the database's
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
            counts.append(response.json()["count"])
        out[name] = {
            **summary(timings),
            "cpu_p50_ms": round(statistics.median(cpu), 3),
            "cpu_p95_ms": round(percentile(cpu, 0.95), 3),
            "statements": len(statements),
            "rows_per_company": round(statistics.mean(counts)),
        }
    return out


def plans(desks: list[tuple[Company, User]]) -> str:
    _, user = desks[0]
    texts = []
    for overdue in (None, True):
        filters = BookingFilters(overdue=overdue)
        queryset = selectors.work_order_list_for_actor(actor=user, filters=filters)
        with CaptureQueriesContext(connection) as counted:
            queryset.count()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + counted.captured_queries[-1]["sql"])
            count_plan = "\n".join(row[0] for row in cursor.fetchall())
        texts.append(f"-- count, {'overdue' if overdue else 'list'}\n" + count_plan)
        page = queryset[:20]
        texts.append(f"-- page, {'overdue' if overdue else 'list'}\n" + page.explain(analyze=True, buffers=True))
    return "\n\n".join(texts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--explain", type=Path)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or "domus" not in connection.settings_dict["NAME"]:
        sys.exit("refusing: needs a PostgreSQL database whose name contains 'domus'")
    random.seed(15)
    began = time.perf_counter()
    desks = setup(args.orders, args.companies)
    setup_seconds = round(time.perf_counter() - began, 1)
    data = {
        "orders": WorkOrder.objects.count(),
        "companies": len(desks),
        "setup_seconds": setup_seconds,
        **measure(desks, args.requests),
    }
    text = json.dumps(data, indent=2)
    if args.json:
        args.json.write_text(text)
    print(text)
    if args.explain:
        args.explain.write_text(plans(desks))


if __name__ == "__main__":
    main()
