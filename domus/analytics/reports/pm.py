"""Property-management reports: rent roll, arrears aging, occupancy and the owner income
statement. Every row comes through the owning app's scoped selector (``lease_visible_to``,
``invoice_visible_to``, ``payment_visible_to``, ``listing_visible_to``), narrowed to the
caller's own portfolio (``caller_scope``: their companies, an agent's listings, an owner's
properties) and to the optional ``company_id`` / ``owner_id``. Money per currency, never
summed across currencies. Each report is a fixed number of queries."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, F, Sum
from django.utils import timezone

from domus.analytics.selectors import caller_scope
from domus.core.exceptions import ValidationFailed
from domus.core.money import money_str
from domus.finance import selectors as finance
from domus.leasing import selectors as leasing
from domus.properties import selectors as properties

OPEN_INVOICE_STATUSES = ("sent", "partially_paid", "overdue")
BUCKETS = ("current", "0-30", "31-60", "61-90", "90+")
BUCKET_FIELDS = {
    "current": "current",
    "0-30": "days_0_30",
    "31-60": "days_31_60",
    "61-90": "days_61_90",
    "90+": "days_90_plus",
}
ZERO = Decimal(0)


def today() -> date:
    return timezone.now().date()


def _narrow(queryset, actor: Any, *, company_id: UUID | None, owner_id: UUID | None, owner: str, agent: str):
    """The caller's portfolio within what the selector already lets them see."""
    scope = caller_scope(actor)
    queryset = queryset.filter(scope.q(agent=(agent,), owner=(owner,)))
    if company_id is not None:
        queryset = queryset.filter(company_id=company_id)
    if owner_id is not None:
        queryset = queryset.filter(**{owner: owner_id})
    return queryset


def bucket_of(days_overdue: int) -> str:
    """Days past the due date -> the aging bucket: not yet due is ``current``; the due
    day itself up to 30 days late ``0-30``; then ``31-60``, ``61-90``, ``90+``."""
    if days_overdue < 0:
        return "current"
    if days_overdue <= 30:
        return "0-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


def _person(first: str | None, last: str | None, email: str | None) -> str:
    name = " ".join(part for part in (first, last) if part)
    return name or (email or "")


def rent_roll(
    *, actor: Any, as_of: date, company_id: UUID | None = None, owner_id: UUID | None = None
) -> dict[str, Any]:
    """Leases active on ``as_of``: premises, tenant, term, rent and deposit, and what the
    tenant owes on the lease's open invoices. Two queries."""
    leases = _narrow(
        leasing.lease_visible_to(actor), actor, company_id=company_id, owner_id=owner_id,
        owner="owner_id", agent="listing__agent_id",
    ).filter(status="active", start_date__lte=as_of, end_date__gte=as_of)  # fmt: skip
    rows = list(
        leases.order_by("listing__title", "unit__unit_number", "id").values(
            "id",
            "company_id",
            "listing_id",
            "listing__title",
            "unit__unit_number",
            "tenant__first_name",
            "tenant__last_name",
            "tenant__email",
            "owner_id",
            "start_date",
            "end_date",
            "rent_amount",
            "deposit",
            "currency",
        )
    )
    owed = dict(
        finance.invoice_visible_to(actor)
        .filter(lease_id__in=[r["id"] for r in rows], status__in=OPEN_INVOICE_STATUSES)
        .values_list("lease_id")
        .annotate(due=Sum(F("total") - F("amount_paid")))
        .order_by()
    ) if rows else {}  # fmt: skip
    out, rent, balance = [], defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for r in rows:
        due = owed.get(r["id"]) or ZERO
        rent[r["currency"]] += r["rent_amount"]
        balance[r["currency"]] += due
        out.append(
            {
                "lease_id": r["id"],
                "company_id": r["company_id"],
                "listing_id": r["listing_id"],
                "listing_title": r["listing__title"],
                "unit": r["unit__unit_number"] or "",
                "tenant": _person(r["tenant__first_name"], r["tenant__last_name"], r["tenant__email"]),
                "owner_id": r["owner_id"],
                "start_date": r["start_date"],
                "end_date": r["end_date"],
                "rent": money_str(r["rent_amount"]),
                "deposit": money_str(r["deposit"]),
                "currency": r["currency"],
                "balance_due": money_str(due),
            }
        )
    return {
        "as_of": as_of,
        "rows": out,
        "monthly_rent": {c: money_str(rent[c]) for c in sorted(rent)},
        "balance_due": {c: money_str(balance[c]) for c in sorted(balance)},
    }


def _aging_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        entry = totals.setdefault(row["currency"], dict.fromkeys(BUCKETS, ZERO))
        entry[row["bucket"]] += Decimal(row["balance_due"])
    return [
        {
            "currency": c,
            **{BUCKET_FIELDS[b]: money_str(totals[c][b]) for b in BUCKETS},
            "total": money_str(sum(totals[c].values())),
        }
        for c in sorted(totals)
    ]


def arrears(*, actor: Any, as_of: date, company_id: UUID | None = None, owner_id: UUID | None = None) -> dict[str, Any]:
    """Open invoices (sent, partly paid, overdue) with a balance, aged by days past their
    due date on ``as_of`` (``bucket_of``), with totals per currency and bucket. One query."""
    invoices = _narrow(
        finance.invoice_visible_to(actor), actor, company_id=company_id, owner_id=owner_id,
        owner="lease__owner_id", agent="listing__agent_id",
    ).filter(status__in=OPEN_INVOICE_STATUSES, total__gt=F("amount_paid"), issue_date__lte=as_of)  # fmt: skip
    rows = []
    for r in invoices.order_by("due_date", "number", "id").values(
        "id", "number", "company_id", "recipient__first_name", "recipient__last_name", "recipient__email",
        "lease_id", "due_date", "total", "amount_paid", "currency",
    ):  # fmt: skip
        days = (as_of - r["due_date"]).days
        rows.append(
            {
                "invoice_id": r["id"],
                "number": f"INV-{r['number']:06d}",
                "company_id": r["company_id"],
                "recipient": _person(r["recipient__first_name"], r["recipient__last_name"], r["recipient__email"]),
                "lease_id": r["lease_id"],
                "due_date": r["due_date"],
                "days_overdue": max(days, 0),
                "bucket": bucket_of(days),
                "balance_due": money_str(r["total"] - r["amount_paid"]),
                "currency": r["currency"],
            }
        )
    return {"as_of": as_of, "totals": _aging_totals(rows), "rows": rows}


def occupancy(
    *, actor: Any, as_of: date, company_id: UUID | None = None, owner_id: UUID | None = None
) -> dict[str, Any]:
    """Rental listings (not drafts or archived) in the caller's portfolio: their units (a
    listing without units is one), how many are let on ``as_of`` by an active lease, the
    rest vacant. Two queries."""
    listings = _narrow(
        properties.listing_visible_to(actor), actor, company_id=company_id, owner_id=owner_id,
        owner="owner_id", agent="agent_id",
    ).filter(listing_type="rent").exclude(status__in=("draft", "archived"))  # fmt: skip
    rows = list(
        listings.annotate(unit_count=Count("units")).order_by("title", "id").values("id", "title", "unit_count")
    )
    let = defaultdict(set)
    if rows:
        for listing_id, unit_id in (
            leasing.lease_visible_to(actor)
            .filter(listing_id__in=[r["id"] for r in rows], status="active", start_date__lte=as_of, end_date__gte=as_of)
            .values_list("listing_id", "unit_id")
        ):
            let[listing_id].add(unit_id)
    out = []
    for r in rows:
        units = max(r["unit_count"], 1)
        taken = let.get(r["id"], set())
        # A whole-listing lease lets every unit of it.
        occupied = units if None in taken else min(len(taken), units)
        out.append(
            {
                "listing_id": r["id"],
                "title": r["title"],
                "units": units,
                "occupied": occupied,
                "vacant": units - occupied,
                "occupancy": round(occupied / units, 4),
            }
        )
    units = sum(r["units"] for r in out)
    occupied = sum(r["occupied"] for r in out)
    return {
        "as_of": as_of,
        "units": units,
        "occupied": occupied,
        "vacant": units - occupied,
        "occupancy": round(occupied / units, 4) if units else 0.0,
        "rows": out,
    }


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone() if timezone.is_aware(timezone.now()) else None
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def income_statement(
    *, actor: Any, start: date, end: date, company_id: UUID | None = None, owner_id: UUID | None = None
) -> dict[str, Any]:
    """An owner's (or the portfolio's) rental income over [start, end], per currency:
    rent billed (lease invoices issued in the period, not void), collected (paid payments
    on lease invoices, by the day paid), the management fee on what was collected (at each
    lease's fee percent), and the net. The ledger's owner statement (finance) carries
    expenses and payouts. Two queries."""
    if start > end:
        raise ValidationFailed("The period starts after it ends.", errors={"from": ["Must be on or before 'to'."]})
    billed = (
        _narrow(
            finance.invoice_visible_to(actor), actor, company_id=company_id, owner_id=owner_id,
            owner="lease__owner_id", agent="listing__agent_id",
        )
        .filter(lease__isnull=False, issue_date__gte=start, issue_date__lte=end)
        .exclude(status__in=("draft", "void"))
        .values_list("currency")
        .annotate(amount=Sum("total"))
        .order_by()
    )  # fmt: skip
    low, high = _day_bounds(start, end)
    paid = (
        _narrow(
            finance.payment_visible_to(actor), actor, company_id=company_id, owner_id=owner_id,
            owner="invoice__lease__owner_id", agent="listing__agent_id",
        )
        .filter(status="paid", invoice__lease__isnull=False, paid_at__gte=low, paid_at__lt=high)
        .values_list("currency", "invoice__lease__management_fee_percent")
        .annotate(amount=Sum("amount"))
        .order_by()
    )  # fmt: skip
    lines: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"rent_billed": ZERO, "collected": ZERO, "fees": ZERO})
    for currency, total in billed:
        lines[currency]["rent_billed"] += total or ZERO
    for currency, percent, total in paid:
        lines[currency]["collected"] += total or ZERO
        lines[currency]["fees"] += ((total or ZERO) * (percent or ZERO) / 100).quantize(Decimal("0.01"))
    return {
        "period": {"from": start, "to": end},
        "owner_id": owner_id,
        "lines": [
            {
                "currency": c,
                "rent_billed": money_str(lines[c]["rent_billed"]),
                "collected": money_str(lines[c]["collected"]),
                "management_fees": money_str(lines[c]["fees"]),
                "net": money_str(lines[c]["collected"] - lines[c]["fees"]),
            }
            for c in sorted(lines)
        ],
    }


# Tables for CSV and PDF: (title, header, rows) of each report


def rent_roll_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "lease_id",
        "listing",
        "unit",
        "tenant",
        "start_date",
        "end_date",
        "rent",
        "deposit",
        "currency",
        "balance_due",
    ]
    rows = [
        [
            r["lease_id"],
            r["listing_title"],
            r["unit"],
            r["tenant"],
            r["start_date"],
            r["end_date"],
            r["rent"],
            r["deposit"],
            r["currency"],
            r["balance_due"],
        ]
        for r in report["rows"]
    ]
    return header, rows


def arrears_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["invoice", "recipient", "due_date", "days_overdue", "bucket", "balance_due", "currency"]
    rows = [
        [r["number"], r["recipient"], r["due_date"], r["days_overdue"], r["bucket"], r["balance_due"], r["currency"]]
        for r in report["rows"]
    ]
    return header, rows


def aging_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["currency", "current", "0-30", "31-60", "61-90", "90+", "total"]
    rows = [[t["currency"], *(t[BUCKET_FIELDS[b]] for b in BUCKETS), t["total"]] for t in report["totals"]]
    return header, rows


def occupancy_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["listing_id", "title", "units", "occupied", "vacant", "occupancy"]
    rows = [
        [r["listing_id"], r["title"], r["units"], r["occupied"], r["vacant"], r["occupancy"]] for r in report["rows"]
    ]
    return header, rows


def income_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["currency", "rent_billed", "collected", "management_fees", "net"]
    rows = [[r["currency"], r["rent_billed"], r["collected"], r["management_fees"], r["net"]] for r in report["lines"]]
    return header, rows
