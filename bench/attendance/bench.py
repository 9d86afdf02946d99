"""Attendance benchmarks on PostgreSQL: the monthly report of a 200-advisor branch, and the
auto-attendance job for N advisors for one day.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_att REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/attendance/bench.py --advisors 10000 --requests 50

1. Setup (not timed; skipped when the database already holds this size): one company, one
   branch per 200 advisors (Nairobi, UTC+3), a day shift 09:00-17:00, ``--advisors``
   advisors each planned Monday to Saturday with Sundays as week-offs, payroll profiles,
   and for the first branch a whole month of attendance days (200 advisors x 30 days =
   6,000 rows: present, late, half days, absences, overtime).
2. Report (timed): ``GET /api/v1/attendance/reports/store/{branch}/?month=...`` through
   Django's test client as an admin (middleware, Ninja, the plan resolution, the payable
   amounts, JSON), ``--warmup`` then ``--requests`` times; p50/p95/max and its queries.
3. Auto-attendance (timed): ``attendance_auto_mark()`` for one closed day nobody punched,
   all ``--advisors`` advisors (ABSENT rows inserted in chunks), then the same run again
   (idempotent: nothing more).

Refuses SQLite and databases whose name lacks "domus". Numbers go to bench/attendance/README.md.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from domus.accounts.models import User  # noqa: E402
from domus.accounts.tokens import issue_pair  # noqa: E402
from domus.attendance.models import Attendance, PayrollProfile, Schedule, Shift, WeekOff  # noqa: E402
from domus.attendance.services.auto import attendance_auto_mark  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.core.startup import prepare_to_serve  # noqa: E402
from domus.organizations.models import Branch, Company  # noqa: E402

PREFIX = "bench-att"
PER_BRANCH = 200
NAIROBI = ZoneInfo("Africa/Nairobi")
MONTH = date(2026, 3, 1)  # the reported month (fixed, so every run reads the same rows)
AUTO_DAY = date(2026, 4, 7)  # a Tuesday nobody punched: the auto-attendance day
BATCH = 5000


def _guard() -> None:
    name = connection.settings_dict["NAME"]
    if not settings.IS_POSTGRES or "domus" not in str(name):
        sys.exit(f"refusing to run on {connection.vendor} database {name!r}")


def _wipe() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM attendance_attendance WHERE company_id IN "
            "(SELECT id FROM organizations_company WHERE slug LIKE %s)",
            [f"{PREFIX}%"],
        )
        for table in ("attendance_schedule", "attendance_weekoff", "attendance_payrollprofile"):
            cursor.execute(
                f"DELETE FROM {table} WHERE advisor_id IN (SELECT id FROM accounts_user WHERE email LIKE %s)",  # noqa: S608
                [f"{PREFIX}%"],
            )
        cursor.execute("DELETE FROM attendance_shift WHERE name LIKE %s", [f"{PREFIX}%"])
        cursor.execute(
            "DELETE FROM organizations_branch WHERE company_id IN "
            "(SELECT id FROM organizations_company WHERE slug LIKE %s)",
            [f"{PREFIX}%"],
        )
        cursor.execute("DELETE FROM organizations_company WHERE slug LIKE %s", [f"{PREFIX}%"])
    User.objects.filter(email__startswith=PREFIX).delete()  # with their tokens and profiles


def _loaded(advisors: int) -> bool:
    return (
        Schedule.objects.filter(advisor__email__startswith=PREFIX).count() == advisors
        and Attendance.objects.filter(company__slug__startswith=PREFIX, day__gte=MONTH).exclude(day=AUTO_DAY).exists()
    )


def setup(advisors: int) -> None:
    company = Company.objects.create(name="Bench Attendance", slug=f"{PREFIX}-0", country="KE", status="active")
    branches = Branch.objects.bulk_create(
        [
            Branch(
                company=company,
                name=f"Bench branch {i}",
                code=f"BA{i:04d}",
                latitude="-1.286389",
                longitude="36.817223",
            )
            for i in range((advisors + PER_BRANCH - 1) // PER_BRANCH)
        ]
    )
    shift = Shift.objects.create(name=f"{PREFIX} day", start_time=clock_time(9), end_time=clock_time(17))
    users = User.objects.bulk_create(
        [
            User(
                username=f"{PREFIX}-{i}",
                email=f"{PREFIX}-{i}@bench.example.com",
                first_name="Advisor",
                last_name=str(i),
                role=Role.AGENT,
            )
            for i in range(advisors)
        ],
        batch_size=BATCH,
    )
    Schedule.objects.bulk_create(
        [
            Schedule(
                advisor=user,
                branch=branches[i // PER_BRANCH],
                shift=shift,
                valid_from=date(2026, 1, 1),
                weekdays=[0, 1, 2, 3, 4, 5],
            )
            for i, user in enumerate(users)
        ],
        batch_size=BATCH,
    )
    WeekOff.objects.bulk_create([WeekOff(advisor=user, weekday=6) for user in users], batch_size=BATCH)
    PayrollProfile.objects.bulk_create(
        [PayrollProfile(advisor=user, base_pay=30000, overtime_rate=250, late_penalty=100) for user in users],
        batch_size=BATCH,
    )
    rows = []
    first = branches[0]
    for n, user in enumerate(users[:PER_BRANCH]):
        for offset in range(30):
            day = MONTH + timedelta(days=offset)
            start = datetime.combine(day, clock_time(9), tzinfo=NAIROBI)
            kind = (n + offset) % 10
            status = "ABSENT" if kind == 0 else "HALF_DAY" if kind == 1 else "PRESENT"
            late = 15 if kind == 2 else 0
            worked = 0 if kind == 0 else 200 if kind == 1 else 480
            rows.append(
                Attendance(
                    company=company,
                    branch=first,
                    advisor=user,
                    shift=shift,
                    day=day,
                    shift_start=start,
                    shift_end=start + timedelta(hours=8),
                    status=status,
                    is_late=bool(late),
                    late_minutes=late,
                    worked_minutes=worked,
                    overtime_minutes=45 if kind == 3 else 0,
                    check_in_at=None if kind == 0 else start + timedelta(minutes=late),
                    check_out_at=None if kind == 0 else start + timedelta(minutes=late + worked),
                )
            )
    Attendance.objects.bulk_create(rows, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE attendance_attendance; ANALYZE attendance_schedule; ANALYZE attendance_weekoff;")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_report(requests: int, warmup: int) -> dict:
    admin, _ = User.objects.get_or_create(
        email=f"{PREFIX}-admin@bench.example.com", defaults={"username": f"{PREFIX}-admin", "role": Role.ADMIN}
    )
    client = Client(headers={"Authorization": f"Bearer {issue_pair(admin).access}"})
    branch = Branch.objects.filter(company__slug__startswith=PREFIX).order_by("code").first()
    path = f"/api/v1/attendance/reports/store/{branch.pk}/?month={MONTH:%Y-%m}"
    for _ in range(warmup):
        assert client.get(path).status_code == 200
    # As served: the WSGI and ASGI entry points freeze the loaded app out of the garbage
    # collector's reach, or each full collection walks it (~290 ms inside some requests).
    prepare_to_serve()
    timings, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        body = client.get(path).json()
    days = sum(len(a["days"]) for a in body["advisors"])
    return {
        "advisors": len(body["advisors"]),
        "days": days,
        "bytes": len(response.content),
        "requests": requests,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(_percentile(cpu, 0.95), 1),
        "queries": len(queries),
    }


def bench_auto(advisors: int) -> dict:
    Attendance.objects.filter(company__slug__startswith=PREFIX, day=AUTO_DAY).delete()
    now = datetime.combine(AUTO_DAY, clock_time(23, 30), tzinfo=NAIROBI)
    started, started_cpu = time.perf_counter(), time.process_time()
    first = attendance_auto_mark(now=now, days_back=0)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    started = time.perf_counter()
    again = attendance_auto_mark(now=now, days_back=0)
    again_seconds = time.perf_counter() - started
    marked = Attendance.objects.filter(company__slug__startswith=PREFIX, day=AUTO_DAY, status="ABSENT").count()
    return {
        "advisors": advisors,
        "absent": first["absent"],
        "branches": first["branches"],
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "again_absent": again["absent"],
        "again_seconds": round(again_seconds, 2),
        "rows_for_the_day": marked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--advisors", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    _guard()
    advisors = max(args.advisors, PER_BRANCH)
    started = time.perf_counter()
    if not _loaded(advisors):
        _wipe()
        setup(advisors)
    setup_seconds = round(time.perf_counter() - started, 1)
    report = bench_report(args.requests, args.warmup)
    auto = bench_auto(advisors)
    data = {"setup_seconds": setup_seconds, "report": report, "auto": auto}
    print(json.dumps(data, indent=2))
    if args.json:
        args.json.write_text(json.dumps(data))
    if auto["absent"] != advisors or auto["again_absent"] != 0 or auto["rows_for_the_day"] != advisors:
        print("FAILED: the auto-attendance day does not hold one ABSENT row per advisor, or a rerun changed it")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
