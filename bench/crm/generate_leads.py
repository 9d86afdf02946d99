"""Bulk-load CRM leads into PostgreSQL with COPY, for the lead-list benchmark.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_crm_bench \
        .venv/bin/python bench/crm/generate_leads.py --count 500000

Creates (once) five bench companies, each with a staff member and ten agents; the first
company ("Bench Realty 0", staff ``bench-crm-staff0@bench.example.com``) gets 60% of the
leads, the others 10% each, so the measured staff user lists a 300k-lead book. Sources,
statuses (with lost reasons), scores and their breakdowns, budgets, activity counts and
creation times over two years are drawn in realistic proportions. Every row goes through
one ``COPY ... FROM STDIN`` (psycopg 3), then the table is VACUUM ANALYZEd.

``--replace`` first deletes the bench companies' leads. Refuses SQLite and any database
whose name does not contain ``--require-db-substring`` (default "domus"). Deterministic
for a given ``--seed``.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PASSWORD = "Load-Test-2024!x"  # bench data only
COMPANIES = 5
AGENTS_PER_COMPANY = 10
SOURCES = (
    ("contact_form", 35),
    ("listing_inquiry", 25),
    ("schedule_call", 10),
    ("campaign", 12),
    ("manual", 10),
    ("import", 8),
)
STATUSES = (
    ("new", 30),
    ("contacted", 25),
    ("qualified", 15),
    ("proposal", 8),
    ("negotiation", 5),
    ("won", 5),
    ("lost", 12),
)
STAGES = ("new", "contacted", "qualified", "proposal", "negotiation", "won")
LOST_REASONS = ("Budget too low", "Bought elsewhere", "No response", "Changed plans")
FIRST = ("Amina", "Brian", "Cynthia", "David", "Esther", "Felix", "Grace", "Hassan", "Irene", "James", "Wanjiru")
LAST = ("Otieno", "Kamau", "Njeri", "Mwangi", "Achieng", "Mutua", "Wambui", "Odhiambo", "Chebet", "Kiprono")


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    import django

    django.setup()


def bench_companies() -> list[tuple[Any, list[Any]]]:
    """The bench companies with their agents' ids, created on first use."""
    from django.contrib.auth import get_user_model

    from domus.accounts.services import user_create
    from domus.core.roles import Role
    from domus.organizations.selectors import company_visible_to
    from domus.organizations.services import company_create, membership_create

    users = get_user_model().objects
    result = []
    for index in range(COMPANIES):
        email = f"bench-crm-staff{index}@bench.example.com"
        staff = users.filter(email=email).first() or user_create(
            actor=None, email=email, password=PASSWORD, role=Role.STAFF
        )
        company = company_visible_to(staff).filter(name=f"Bench Realty {index}").first() or company_create(
            actor=staff, name=f"Bench Realty {index}"
        )
        agents = []
        for number in range(AGENTS_PER_COMPANY):
            agent_email = f"bench-crm-agent{index}-{number}@bench.example.com"
            agent = users.filter(email=agent_email).first()
            if agent is None:
                agent = user_create(actor=None, email=agent_email, password=PASSWORD, role=Role.AGENT)
                membership_create(actor=staff, company=company, user=agent, role=Role.AGENT)
            agents.append(agent.pk)
        result.append((company, agents))
    return result


def lead_row(rng: random.Random, now: datetime, company_id: Any, agents: list[Any], n: int) -> dict[str, Any]:
    from domus.core.ids import uuid7

    source = weighted(rng, SOURCES)
    status = weighted(rng, STATUSES)
    created = now - timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
    activities = min(int(rng.expovariate(0.4)), 30)
    last_activity = (
        created + timedelta(seconds=rng.randint(0, max(1, int((now - created).total_seconds()))))
        if activities
        else None
    )
    has_budget = rng.random() < 0.6
    budget_min = round(rng.lognormvariate(15.5, 0.6), -3) if has_budget else None
    budget_max = round(budget_min * rng.uniform(1.1, 1.6), -3) if has_budget else None
    breakdown = [
        {
            "rule": "budget_fit",
            "points": rng.choice((0, 10, 15, 25)) if has_budget else 0,
            "max": 25,
            "reason": "bench",
        },
        {"rule": "engagement", "points": min(activities * 5, 25), "max": 25, "reason": f"{activities} activities"},
        {"rule": "recency", "points": rng.choice((0, 7, 14, 20)), "max": 20, "reason": "bench"},
        {
            "rule": "source_quality",
            "points": {
                "schedule_call": 15,
                "listing_inquiry": 13,
                "contact_form": 10,
                "campaign": 8,
                "manual": 6,
                "import": 4,
            }[source],
            "max": 15,
            "reason": f"Source {source}.",
        },
        {"rule": "completeness", "points": rng.choice((7, 9, 11, 13, 15)), "max": 15, "reason": "bench"},
    ]
    score = sum(item["points"] for item in breakdown)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    stage = STAGES.index(status) if status != "lost" else rng.randint(0, 4)
    return {
        "id": uuid7(),
        "created_at": created,
        "updated_at": last_activity or created,
        "company_id": company_id,
        "name": name,
        "email": f"lead{n}@bench.example.com",
        "phone": f"+2547{n:08d}",
        "message": "",
        "source": source,
        "status": status,
        "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else "",
        "stage_reached": stage,
        "assigned_agent_id": rng.choice(agents) if rng.random() < 0.95 else None,
        "user_id": None,
        "listing_id": None,
        "client_id": None,
        "budget_min": budget_min,
        "budget_max": budget_max,
        "preferred_call_at": None,
        "score": score,
        "score_breakdown": json.dumps(breakdown),
        "scored_at": last_activity or created,
        "activity_count": activities,
        "last_activity_at": last_activity,
        "merged_count": 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500_000, help="Leads to load (default 500,000).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--replace", action="store_true", help="Delete the bench companies' leads first.")
    parser.add_argument("--require-db-substring", default="domus")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 5_000_000:
        parser.error("--count must be between 1 and 5,000,000")

    django_setup()
    from django.db import connection, transaction

    from domus.crm.models import Lead

    if connection.vendor != "postgresql":
        parser.error("COPY needs PostgreSQL: set DATABASE_URL=postgres://...")
    if args.require_db_substring not in connection.settings_dict["NAME"]:
        parser.error(f"database {connection.settings_dict['NAME']!r} does not contain {args.require_db_substring!r}")

    companies = bench_companies()
    company_ids = [company.pk for company, _ in companies]
    weights = [60] + [40 // (COMPANIES - 1)] * (COMPANIES - 1)
    columns = [f.column for f in Lead._meta.concrete_fields]
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with transaction.atomic():
        if args.replace:
            deleted, _ = Lead.objects.filter(company_id__in=company_ids).delete()
            print(f"deleted {deleted} rows")
        with connection.cursor() as cursor:
            sql = f'COPY "{Lead._meta.db_table}" ({", ".join(columns)}) FROM STDIN'
            with cursor.cursor.copy(sql) as copy:
                for n in range(args.count):
                    index = rng.choices(range(COMPANIES), weights=weights)[0]
                    row = lead_row(rng, now, company_ids[index], companies[index][1], n)
                    copy.write_row([row[c] for c in columns])
    loaded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f'VACUUM ANALYZE "{Lead._meta.db_table}"')
    print(f"loaded {args.count} leads in {loaded:.1f} s; vacuum analyze {time.perf_counter() - started - loaded:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
