"""Import benchmark: N listings from a CSV file through ``data/import`` (the job, the
API's input schema per row, ``listing_create_many``, price history and audit rows), on
PostgreSQL; a dry run of the same file first.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_import REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/import/bench.py --rows 100000

1. Setup (not timed): the CSV (``generate.py``, one row in 1,000 broken), a company and
   a staff member of it (a new company each run: the audit trail is append-only).
2. Dry run (timed): every row validated and written in its batch, then rolled back.
   Wall time, the CPU time of the importing process and the CPU time of its PostgreSQL
   backend (read from ``/proc`` when the server runs on this machine): on a shared
   machine the wall time includes the waits for a core, the two CPU times do not.
3. Import (timed): the same file for real, with Celery eager as in the embedded default
   (the job runs in this process, as a worker would run it).
4. Checks: the listings, price rows and audit rows written equal the rows reported new.

Refuses SQLite and databases whose name lacks "domus".
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import TemporaryUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from generate import generate  # noqa: E402

from bench.pgcpu import backend_cpu  # noqa: E402
from domus.accounts.models import User  # noqa: E402
from domus.audit.models import AuditLog  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.ops.models import Job  # noqa: E402
from domus.ops.services.imports import import_start  # noqa: E402
from domus.organizations.models import Company, Membership  # noqa: E402
from domus.properties.models import Listing, PriceChange  # noqa: E402

COMPANY_SLUG = "import-bench"


def setup() -> tuple[Company, User]:
    """A new company each run (the audit trail is append-only, so earlier runs stay)."""
    stamp = time.time_ns()
    company = Company.objects.create(
        slug=f"{COMPANY_SLUG}-{stamp}", name=f"Import Bench {stamp}", status=Company.Status.ACTIVE
    )
    user, _ = User.objects.get_or_create(
        username="import-bench", defaults={"email": "import-bench@example.test", "role": Role.STAFF}
    )
    Membership.objects.get_or_create(company=company, user=user, defaults={"role": Role.STAFF})
    return company, user


def run(user: User, company: Company, path: Path, dry_run: bool) -> dict:
    upload = TemporaryUploadedFile(path.name, "text/csv", path.stat().st_size, "utf-8")
    with path.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            upload.write(chunk)
    upload.seek(0)
    backend = backend_cpu(connection)
    started, cpu = time.perf_counter(), time.process_time()
    job = import_start(
        actor=user, resource="listings", upload=upload, filename=path.name, dry_run=dry_run, company_id=company.pk
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = backend_cpu(connection)
    same = backend[0] == after[0] and backend[1] is not None and after[1] is not None
    database_cpu = round(after[1] - backend[1], 2) if same else None  # None: another backend did part of it
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.error
    return {
        **job.result,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "database_cpu_seconds": database_cpu,
        "rows_per_second": round(job.result["rows"] / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or "domus" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("Run on a PostgreSQL database whose name contains 'domus'.")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.GEOCODE_NEW_LISTINGS = False
    company, user = setup()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"listings-{args.rows}.csv"
        broken = generate(args.rows, path, bad_every=1000)
        size = path.stat().st_size
        dry = run(user, company, path, dry_run=True)
        assert Listing.objects.filter(company=company).count() == 0, "the dry run wrote listings"
        real = run(user, company, path, dry_run=False)
    written = Listing.objects.filter(company=company).count()
    prices = PriceChange.objects.filter(listing__company=company).count()
    audits = AuditLog.objects.filter(company_id=company.pk, resource_type="properties.listing").count()
    assert written == prices == audits == real["counts"]["new"], (written, prices, audits, real["counts"])
    assert real["counts"]["error"] == broken
    data = {
        "rows": args.rows,
        "file_bytes": size,
        "broken": broken,
        "dry_run": {k: dry[k] for k in ("seconds", "cpu_seconds", "database_cpu_seconds", "rows_per_second", "counts")},
        "import": {k: real[k] for k in ("seconds", "cpu_seconds", "database_cpu_seconds", "rows_per_second", "counts")},
        "written": {"listings": written, "price_rows": prices, "audit_rows": audits},
    }
    print(json.dumps(data, indent=2))
    if args.json:
        args.json.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
