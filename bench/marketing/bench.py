"""Segment evaluation and campaign fan-out over the CRM bench's leads, in-process.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench_marketing_100000 \
        .venv/bin/python bench/marketing/bench.py --runs 20 --batches 10 --json out.json

Load the leads first with bench/crm/generate_leads.py (the staff member of "Bench Realty
0" owns 60% of them). Measures, for that company:

- the live count of four segments (``selectors.segment_count``: one ``count(*)`` with the
  rules as SQL), ``--runs`` times each;
- building a segment's members from scratch (``segment_rebuild``);
- the fan-out of a campaign to every lead of the company on two channels
  (``campaign_fan_out``: one touch row per lead and channel, due times computed in each
  lead's zone), as touches written per second;
- ``--batches`` hand-over batches (``campaign_dispatch_batch``: touches locked, handed
  to the communications service, deliveries written and enqueued), as touches per second.

Earlier marketing rows of the company are deleted first; the leads are only read.
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

from bench.pgcpu import backend_cpu  # noqa: E402

SEGMENTS = {
    "every lead": {},
    "status in (new, contacted, qualified), score >= 40": {
        "statuses": ["new", "contacted", "qualified"],
        "min_score": 40,
    },
    "source in (contact_form, listing_inquiry), budget 3M-8M": {
        "sources": ["contact_form", "listing_inquiry"],
        "budget_min": "3000000",
        "budget_max": "8000000",
    },
    "inactive for 90 days, not won or lost": {
        "inactive_for_days": 90,
        "statuses": ["new", "contacted", "qualified", "proposal", "negotiation"],
    },
}


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    import django

    django.setup()


def clocked(connection, fn):
    """Run ``fn``; answers its result, wall seconds, this process's CPU seconds, the
    database backend's CPU seconds and the load average when it started."""
    load = os.getloadavg()[0]
    cpu, db, start = time.process_time(), backend_cpu(connection)[1] or 0.0, time.perf_counter()
    result = fn()
    return (
        result,
        time.perf_counter() - start,
        time.process_time() - cpu,
        (backend_cpu(connection)[1] or 0.0) - db,
        load,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--json", help="Also write the figures as JSON to this file (bench/bench.py reads it).")
    args = parser.parse_args(argv)
    django_setup()

    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from domus.marketing import selectors, services

    if connection.vendor != "postgresql":
        parser.error("PostgreSQL only (DATABASE_URL).")
    staff = get_user_model().objects.get(email="bench-crm-staff0@bench.example.com")
    lead_model = apps.get_model("crm", "Lead")
    company_id = lead_model.objects.filter(company__name="Bench Realty 0").values_list("company_id", flat=True)[0]
    for name in ("Touch", "Campaign", "Segment", "Enrolment", "Sequence"):
        apps.get_model("marketing", name).objects.filter(
            **({"sequence__company_id": company_id} if name == "Enrolment" else {"company_id": company_id})
        ).delete()
    apps.get_model("communications", "Delivery").objects.filter(company_id=company_id).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE marketing_touch")
    leads = lead_model.objects.filter(company_id=company_id).count()
    out: dict = {"leads": lead_model.objects.count(), "company_leads": leads, "counts": []}

    for name, rules in SEGMENTS.items():
        selectors.segment_count(company_id=company_id, rules=rules)  # warm
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            count = selectors.segment_count(company_id=company_id, rules=rules)
            times.append((time.perf_counter() - start) * 1000)
        out["counts"].append(
            {
                "segment": name,
                "count": count,
                "p50_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
            }
        )
        print(f"count {name}: {count:,} leads, p50 {statistics.median(times):.1f} ms", flush=True)

    start = time.perf_counter()
    segment = services.segment_create(actor=staff, name="Everyone", rules={}, company_id=company_id)
    out["rebuild"] = {"members": segment.member_count, "seconds": round(time.perf_counter() - start, 2)}
    print(f"segment members built: {segment.member_count:,} in {out['rebuild']['seconds']} s", flush=True)

    campaign = services.campaign_create(
        actor=staff,
        name="Bench campaign",
        company_id=company_id,
        segment_ids=[segment.pk],
        channels=[
            {"channel": "email", "subject": "Hello {{ lead.first_name }}", "body": "Dear {{ lead.name }}, new homes."},
            {"channel": "sms", "body": "New homes for you, {{ lead.first_name }}."},
        ],
    )
    campaign_model = apps.get_model("marketing", "Campaign")
    campaign_model.objects.filter(pk=campaign.pk).update(status="running")
    written, seconds, cpu, db, load = clocked(connection, lambda: services.campaign_fan_out(campaign_id=campaign.pk))
    out["fan_out"] = {
        "touches": written,
        "seconds": round(seconds, 2),
        "per_second": round(written / seconds),
        "cpu_seconds": round(cpu, 2),
        "db_cpu_seconds": round(db, 2),
        "load": round(load, 1),
    }
    print(
        f"fan-out: {written:,} touches in {seconds:.1f} s ({written / seconds:,.0f}/s; CPU {cpu:.2f} s here, "
        f"{db:.1f} s in PostgreSQL; load {load:.1f})",
        flush=True,
    )

    def hand_over() -> int:
        handed = 0
        for _ in range(args.batches):
            outcome = services.campaign_dispatch_batch(campaign_id=campaign.pk)
            handed += sum(v for k, v in outcome.items() if k != "deferred")
        return handed

    handed, seconds, cpu, db, load = clocked(connection, hand_over)
    out["hand_over"] = {
        "batches": args.batches,
        "batch_size": settings.MARKETING_BATCH_SIZE,
        "touches": handed,
        "seconds": round(seconds, 2),
        "per_second": round(handed / seconds) if seconds else 0,
        "cpu_seconds": round(cpu, 2),
        "db_cpu_seconds": round(db, 2),
        "load": round(load, 1),
    }
    print(
        f"hand-over: {handed:,} touches in {seconds:.1f} s ({handed / seconds:,.0f}/s; CPU {cpu:.2f} s here, "
        f"{db:.1f} s in PostgreSQL; load {load:.1f})",
        flush=True,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
