"""Finance benchmarks on PostgreSQL: the monthly rent-invoice job for N active leases, and
M-Pesa callbacks processed per second through the whole stack.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_fin REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/finance/bench.py --leases 50000 --callbacks 5000 --threads 2

1. Setup (not timed): one company per 2,500 leases, an owner and a listing per company, a pool
   of tenants, then ``--leases`` active leases (one unit each) whose first rent period is due
   today (bulk insert).
2. Invoice job (timed): ``domus.finance.services.rent_invoices_issue()`` exactly as beat runs it:
   per company, batches of up to 500 rent periods, each batch in one transaction (the invoice
   counter row locked for gapless numbers, the periods re-read, then invoices, lines, one balanced
   ledger posting per invoice, periods marked, one audit row) and one Celery task per batch that
   announces the invoices (``invoice.sent`` + e-mailed PDF, done by the worker, not the job).
   Then it is run a second time to show it issues nothing more.
3. Callbacks (timed): ``--callbacks`` pending STK payments on the new invoices, then one Daraja
   success callback each, POSTed to /api/v1/finance/payments/mpesa/callback/ through Django's
   test client (middleware, Ninja, the service, PostgreSQL) from ``--threads`` threads.
   Each is followed by a duplicate delivery, which must change nothing.
4. ``ledger_verify()`` must answer ok.

Exits non-zero (status 1) when the paid payments, the payment postings and the callbacks sent do
not all match, when a callback failed, or when the ledger does not verify.

Refuses SQLite and databases whose name lacks "domus". The bench rows are deleted first (--keep
to skip). Numbers go to bench/finance/README.md.
"""

import argparse
import json
import os
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from domus.accounts.models import User  # noqa: E402
from domus.core.roles import Role  # noqa: E402
from domus.finance import services  # noqa: E402
from domus.finance.models import Invoice, LedgerTransaction, Payment  # noqa: E402
from domus.leasing.models import Lease, LeaseStatus, RentPeriod  # noqa: E402
from domus.organizations.models import Company  # noqa: E402
from domus.properties.models import Listing, Unit  # noqa: E402

PREFIX = "bench-fin"
LEASES_PER_COMPANY = 2500
TENANTS = 2000
BATCH = 5000
LEDGER_TABLES = ("finance_ledgerentry", "finance_ledgertransaction")


def _guard() -> None:
    name = connection.settings_dict["NAME"]
    if not settings.IS_POSTGRES or "domus" not in str(name):
        sys.exit(f"refusing to run on {connection.vendor} database {name!r}")


def _wipe() -> None:
    companies = Company.objects.filter(slug__startswith=PREFIX)
    ids = [str(pk) for pk in companies.values_list("id", flat=True)]
    if not ids:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # The ledger is append-only (model guards and, on PostgreSQL, a trigger): the bench removes
        # its own rows with SQL, the triggers disabled only inside this transaction.
        for table in LEDGER_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(
            "DELETE FROM finance_ledgerentry WHERE transaction_id IN "
            "(SELECT id FROM finance_ledgertransaction WHERE company_id = ANY(%s::uuid[]))",
            [ids],
        )
        for table in (
            "finance_ledgertransaction",
            "finance_payment",
            "finance_account",
            "finance_invoicecounter",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE company_id = ANY(%s::uuid[])", [ids])  # noqa: S608
        cursor.execute(
            "DELETE FROM finance_invoiceline WHERE invoice_id IN "
            "(SELECT id FROM finance_invoice WHERE company_id = ANY(%s::uuid[]))",
            [ids],
        )
        cursor.execute("DELETE FROM finance_invoice WHERE company_id = ANY(%s::uuid[])", [ids])
        cursor.execute(
            "DELETE FROM leasing_rentperiod WHERE lease_id IN "
            "(SELECT id FROM leasing_lease WHERE company_id = ANY(%s::uuid[]))",
            [ids],
        )
        cursor.execute("DELETE FROM leasing_lease WHERE company_id = ANY(%s::uuid[])", [ids])
        cursor.execute(
            "DELETE FROM properties_unit WHERE listing_id IN "
            "(SELECT id FROM properties_listing WHERE company_id = ANY(%s::uuid[]))",
            [ids],
        )
        cursor.execute("DELETE FROM properties_listing WHERE company_id = ANY(%s::uuid[])", [ids])
        cursor.execute("DELETE FROM organizations_company WHERE id = ANY(%s::uuid[])", [ids])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before ALTER TABLE
        for table in LEDGER_TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def _user(email: str, role: str) -> User:
    user, _ = User.objects.get_or_create(email=email, defaults={"username": email.split("@")[0], "role": role})
    return user


def setup(lease_count: int) -> None:
    today = timezone.localdate()
    tenants = [_user(f"{PREFIX}-tenant{i}@bench.example.com", Role.TENANT) for i in range(min(TENANTS, lease_count))]
    companies = (lease_count + LEASES_PER_COMPANY - 1) // LEASES_PER_COMPANY
    made = 0
    for index in range(companies):
        company = Company.objects.create(name=f"Bench Finance {index}", slug=f"{PREFIX}-{index}")
        owner = _user(f"{PREFIX}-owner{index}@bench.example.com", Role.OWNER)
        listing = Listing.objects.create(
            title=f"Bench block {index}", price=Decimal(30000), company=company, owner=owner, listing_type="rent"
        )
        count = min(LEASES_PER_COMPANY, lease_count - made)
        # One unit per lease: overlapping active leases of one unit (or of a whole listing) are
        # refused by the leasing app's exclusion constraints.
        units = Unit.objects.bulk_create(
            [Unit(listing=listing, unit_number=f"U{i:05d}") for i in range(count)], batch_size=BATCH
        )
        leases = [
            Lease(
                company=company,
                listing=listing,
                unit=units[i],
                tenant=tenants[(made + i) % len(tenants)],
                owner=owner,
                start_date=today,
                end_date=today + timedelta(days=364),
                rent_amount=Decimal(20000 + (i % 50) * 500),
                billing_day=min(today.day, 28),
                status=LeaseStatus.ACTIVE,
            )
            for i in range(count)
        ]
        Lease.objects.bulk_create(leases, batch_size=BATCH)
        RentPeriod.objects.bulk_create(
            [
                RentPeriod(
                    lease=lease,
                    period_start=today,
                    period_end=today + timedelta(days=29),
                    due_date=today,
                    amount=lease.rent_amount,
                )
                for lease in leases
            ],
            batch_size=BATCH,
        )
        made += count
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leasing_lease; ANALYZE leasing_rentperiod;")


def bench_callbacks(count: int, threads: int) -> dict:
    invoices = list(
        Invoice.objects.filter(company__slug__startswith=PREFIX)
        .order_by("id")
        .values("id", "company_id", "total")[:count]
    )
    Payment.objects.bulk_create(
        [
            Payment(
                company_id=row["company_id"],
                invoice_id=row["id"],
                method="mpesa",
                amount=row["total"],
                phone="254712345678",
                checkout_request_id=f"ws_CO_BENCH_{n}",
                merchant_request_id=f"M-{n}",
            )
            for n, row in enumerate(invoices)
        ],
        batch_size=BATCH,
    )

    def body(n: int, amount: Decimal) -> str:
        return json.dumps(
            {
                "Body": {
                    "stkCallback": {
                        "MerchantRequestID": f"M-{n}",
                        "CheckoutRequestID": f"ws_CO_BENCH_{n}",
                        "ResultCode": 0,
                        "ResultDesc": "The service request is processed successfully.",
                        "CallbackMetadata": {
                            "Item": [
                                {"Name": "Amount", "Value": int(amount)},
                                {"Name": "MpesaReceiptNumber", "Value": f"BEN{n:07d}"},
                                {"Name": "TransactionDate", "Value": 20260105101010},
                                {"Name": "PhoneNumber", "Value": 254712345678},
                            ]
                        },
                    }
                }
            }
        )

    bodies = [body(n, row["total"]) for n, row in enumerate(invoices)]
    failures: list[int] = []

    def worker(part: list[str]) -> None:
        client = Client()
        try:
            for payload in part:
                try:
                    answer = client.post(
                        "/api/v1/finance/payments/mpesa/callback/", payload, content_type="application/json"
                    )
                except Exception:  # a crash is counted, never hidden
                    failures.append(-1)
                    continue
                if answer.status_code != 200:
                    failures.append(answer.status_code)
        finally:
            connection.close()

    parts = [bodies[i::threads] for i in range(threads)]
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(part,)) for part in parts]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    first = time.perf_counter() - started
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(part,)) for part in parts]  # duplicates: must change nothing
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    duplicates = time.perf_counter() - started
    paid = Payment.objects.filter(checkout_request_id__startswith="ws_CO_BENCH_", status="paid").count()
    postings = LedgerTransaction.objects.filter(kind="payment", company__slug__startswith=PREFIX).count()
    return {
        "callbacks": len(bodies),
        "threads": threads,
        "seconds": round(first, 2),
        "callbacks_per_second": round(len(bodies) / first, 1),
        "duplicate_seconds": round(duplicates, 2),
        "duplicates_per_second": round(len(bodies) / duplicates, 1),
        "paid": paid,
        "payment_postings": postings,
        "failures": len(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=50000)
    parser.add_argument("--callbacks", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", help="Also write the results as JSON to this file (bench/bench.py reads it).")
    args = parser.parse_args()
    _guard()
    settings.RATE_LIMITS_ENABLED = False
    # Callbacks are authenticated; the bench's client posts from 127.0.0.1, so it uses the
    # address allow-list (a production configuration) instead of this install's path token.
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["127.0.0.1"]
    if not args.keep:
        _wipe()
    started = time.perf_counter()
    setup(args.leases)
    setup_seconds = time.perf_counter() - started
    print(f"setup: {args.leases} active leases in {setup_seconds:.1f}s", flush=True)

    started = time.perf_counter()
    issued = services.rent_invoices_issue()
    job = time.perf_counter() - started
    print(f"invoice job: {issued} invoices in {job:.1f}s ({issued / job:.0f}/s)", flush=True)
    started = time.perf_counter()
    again = services.rent_invoices_issue()
    again_seconds = time.perf_counter() - started
    print(f"invoice job again: {again} invoices in {again_seconds:.1f}s", flush=True)

    result = bench_callbacks(args.callbacks, args.threads)
    print("callbacks:", json.dumps(result), flush=True)
    started = time.perf_counter()
    report = services.ledger_verify()
    verify_seconds = time.perf_counter() - started
    print(
        f"ledger_verify: ok={report['ok']} over {report['transactions']} transactions in "
        f"{time.perf_counter() - started:.1f}s",
        flush=True,
    )
    problems = []
    if not (result["paid"] == result["payment_postings"] == result["callbacks"]):
        problems.append(
            f"paid payments ({result['paid']}), payment postings ({result['payment_postings']}) and "
            f"callbacks ({result['callbacks']}) do not match"
        )
    if result["failures"]:
        problems.append(f"{result['failures']} callback deliveries failed")
    if not report["ok"]:
        problems.append("the ledger does not verify")
    if args.json:
        summary = {
            "leases": args.leases,
            "setup_seconds": round(setup_seconds, 1),
            "invoices": issued,
            "job_seconds": round(job, 1),
            "invoices_again": again,
            "again_seconds": round(again_seconds, 1),
            "callbacks": result,
            "ledger_ok": report["ok"],
            "ledger_transactions": report["transactions"],
            "verify_seconds": round(verify_seconds, 1),
            "problems": problems,
        }
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if problems:
        sys.exit("FAILED: " + "; ".join(problems))


if __name__ == "__main__":
    main()
