"""Reads of invoices, payments, ledger transactions and payouts, scoped to what the actor may see."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum

from domus.core.exceptions import NotFound, UnknownReference
from domus.core.filtering import filter_list, first_instant, last_instant
from domus.core.money import money_totals, quantize
from domus.core.policies import is_admin
from domus.core.scope import Period, Scope, rollup_rows
from domus.finance.models import (
    OPEN_INVOICE_STATUSES,
    AccountCode,
    CallbackReview,
    Invoice,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentStatus,
    Payout,
)
from domus.organizations.selectors import company_currency, staff_company_ids


def _scope(queryset: QuerySet, actor: Any, *personal: str) -> QuerySet:
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    condition = Q(company_id__in=staff_company_ids(actor))
    for field in personal:
        condition |= Q(**{field: actor})
    return queryset.filter(condition)


PAYMENT_EXACT_FILTERS = ("status", "method", "purpose", "company_id", "invoice_id", "listing_id")

# Invoices


def invoice_visible_to(actor: Any) -> QuerySet[Invoice]:
    """Company staff see their companies' invoices, recipients their own, admins all."""
    return _scope(Invoice.objects.all(), actor, "recipient")


def invoice_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Invoice]:
    return filter_list(
        invoice_visible_to(actor).prefetch_related("lines"),
        filters,
        exact_fields=("status", "company_id", "recipient_id", "lease_id", "listing_id"),
        search_fields=["recipient__email", "notes"],
        ordering_fields=["created_at", "due_date", "number", "total"],
    )


def invoice_get_for_actor(*, actor: Any, invoice_id: UUID) -> Invoice:
    invoice = invoice_visible_to(actor).prefetch_related("lines").filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound("Invoice not found.")
    return invoice


# Payments


def payment_visible_to(actor: Any) -> QuerySet[Payment]:
    """Payers see theirs, agents and owners their listings', company staff their companies', admins all."""
    return _scope(Payment.objects.all(), actor, "payer", "invoice__recipient", "listing__agent", "listing__owner")


def payment_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Payment]:
    return filter_list(
        payment_visible_to(actor),
        filters,
        exact_fields=PAYMENT_EXACT_FILTERS,
        search_fields=["phone", "mpesa_receipt", "reference", "checkout_request_id", "payer__email"],
        ordering_fields=["created_at", "amount", "status", "paid_at"],
    )


def payment_admin_list(*, filters: Any) -> QuerySet[Payment]:
    return filter_list(
        Payment.objects.all(),
        filters,
        exact_fields=PAYMENT_EXACT_FILTERS,
        search_fields=["phone", "mpesa_receipt", "reference", "checkout_request_id", "payer__email", "result_desc"],
        ordering_fields=["created_at", "amount", "status", "paid_at"],
    )


def payment_get_for_actor(*, actor: Any, payment_id: UUID) -> Payment:
    payment = payment_visible_to(actor).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def callback_review_list() -> QuerySet[CallbackReview]:
    """Everything held for a person to look at, newest first (admins only)."""
    return CallbackReview.objects.order_by("-created_at")


# Ledger


def transaction_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[LedgerTransaction]:
    queryset = _scope(LedgerTransaction.objects.prefetch_related("entries__account"), actor)
    if getattr(filters, "account", None):
        queryset = queryset.filter(entries__account__code=filters.account).distinct()
    return filter_list(
        queryset,
        filters,
        exact_fields=("company_id", "kind", "reference_id"),
        search_fields=["memo"],
        ordering_fields=["created_at", "amount"],
    )


# Payouts


def payout_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Payout]:
    return filter_list(
        _scope(Payout.objects.all(), actor, "owner"),
        filters,
        exact_fields=("status", "company_id", "owner_id"),
        ordering_fields=["created_at", "amount"],
    )


def payout_get_for_actor(*, actor: Any, payout_id: UUID) -> Payout:
    payout = _scope(Payout.objects.all(), actor, "owner").filter(pk=payout_id).first()
    if payout is None:
        raise NotFound("Payout not found.")
    return payout


def home_currency(company_id: UUID) -> str:
    """The company's currency (its books' home currency); a 400 naming ``company_id`` if there is no such company."""
    currency = company_currency(company_id)
    if currency is None:
        raise UnknownReference("Unknown company.", errors={"company_id": ["No company has this id."]})
    return currency


def _owner_payable_entries(*, company_id: UUID, owner_id: UUID, currency: str) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        account__company_id=company_id,
        account__code=AccountCode.OWNER_PAYABLE,
        owner_id=owner_id,
        transaction__currency=currency,
    )


def owner_balance(
    *, company_id: UUID, owner_id: UUID, currency: str | None = None, before: date | datetime | None = None
) -> Decimal:
    """Rent collected for the owner, less management fees and payouts (owner-payable credits - debits),
    in one currency (default: the company's): amounts in different currencies are never netted.

    With ``before``, only transactions dated before that day count: the balance a statement opens with."""
    currency = currency or home_currency(company_id)
    entries = _owner_payable_entries(company_id=company_id, owner_id=owner_id, currency=currency)
    if before is not None:
        entries = entries.filter(transaction__created_at__lt=first_instant(before))
    row = entries.aggregate(c=Sum("credit"), d=Sum("debit"))
    return quantize((row["c"] or Decimal(0)) - (row["d"] or Decimal(0)))


def owner_balances(*, company_id: UUID, owner_id: UUID) -> dict[str, Decimal]:
    """The owner's balance in each currency their account has moved in, by currency code."""
    rows = (
        LedgerEntry.objects.filter(
            account__company_id=company_id, account__code=AccountCode.OWNER_PAYABLE, owner_id=owner_id
        )
        .values_list("transaction__currency")
        .annotate(c=Sum("credit"), d=Sum("debit"))
        .order_by("transaction__currency")
    )
    return {currency: quantize(credits - debits) for currency, credits, debits in rows}


def owner_arrears(*, company_id: UUID, owner_id: UUID, as_of: date) -> dict[str, Any]:
    """The rent owed on the owner's leases at ``company_id`` and not paid by its due date:
    every open invoice (sent, part paid, overdue) of those leases due before ``as_of``,
    oldest first, with its tenant, listing, unit, days late and balance, and the balances
    per currency (amounts in different currencies are never added)."""
    invoices = (
        Invoice.objects.filter(
            company_id=company_id, lease__owner_id=owner_id, status__in=OPEN_INVOICE_STATUSES, due_date__lt=as_of
        )
        .select_related("lease__listing", "lease__unit", "recipient")
        .order_by("due_date", "number")
    )
    rows = []
    for invoice in invoices:
        lease = invoice.lease
        rows.append(
            {
                "invoice_id": invoice.pk,
                "number": invoice.display_number,
                "lease_id": lease.pk,
                "listing_id": lease.listing_id,
                "listing_title": lease.listing.title,
                "unit": lease.unit.unit_number if lease.unit_id else "",
                "tenant_name": invoice.recipient.get_full_name() or invoice.recipient.username,
                "due_date": invoice.due_date,
                "days_late": (as_of - invoice.due_date).days,
                "currency": invoice.currency,
                "total": quantize(invoice.total),
                "amount_paid": quantize(invoice.amount_paid),
                "balance": quantize(invoice.total - invoice.amount_paid),
                "status": invoice.status,
            }
        )
    return {
        "company_id": company_id,
        "owner_id": owner_id,
        "as_of": as_of,
        "invoices": rows,
        "totals": money_totals((row["currency"], row["balance"]) for row in rows),
    }


def owner_statement(
    *, company_id: UUID, owner_id: UUID, start: date | datetime, end: date | datetime, currency: str | None = None
) -> dict[str, Any]:
    """The owner's account in ``currency`` (default: the company's) for [start, end]: opening
    balance, each movement, closing balance.

    Every movement of the owner-payable account in that currency is counted in exactly one total, so
    ``opening + rent_collected - management_fees - expenses - refunds - payouts + payouts_returned
    + adjustments = closing`` always holds (rent is shown gross of the fee)."""
    currency = currency or home_currency(company_id)
    entries = _owner_payable_entries(company_id=company_id, owner_id=owner_id, currency=currency)
    opening_balance = owner_balance(company_id=company_id, owner_id=owner_id, currency=currency, before=start)
    lines = []
    running = opening_balance
    zero = Decimal(0)
    collected = fees = paid_out = returned = expenses = refunds = adjustments = zero
    period = (
        entries.filter(
            transaction__created_at__gte=first_instant(start), transaction__created_at__lte=last_instant(end)
        )
        .select_related("transaction")
        .order_by("transaction__created_at", "id")
    )
    fee_by_tx = dict(
        LedgerEntry.objects.filter(
            transaction_id__in=period.values("transaction_id"), account__code=AccountCode.FEE_REVENUE
        )
        .values_list("transaction_id")
        .annotate(fee=Sum("credit") - Sum("debit"))
    )
    for entry in period:
        net = entry.credit - entry.debit
        running += net
        kind = entry.transaction.kind
        fee = zero
        if kind == "payment":
            fee = fee_by_tx.get(entry.transaction_id, zero) if entry.credit else zero
            collected += net + fee
            fees += fee
        elif kind == "payout":
            paid_out -= net
        elif kind == "payout_failed":
            returned += net
        elif kind == "expense":
            expenses -= net
        elif kind == "refund":
            refunds -= net
        else:
            adjustments += net
        lines.append(
            {
                "date": entry.transaction.created_at.date().isoformat(),
                "kind": kind,
                "memo": entry.transaction.memo,
                "transaction_id": str(entry.transaction_id),
                "credit": str(entry.credit),
                "debit": str(entry.debit),
                "management_fee": str(fee),
                "balance": str(quantize(running)),
            }
        )
    return {
        "company_id": str(company_id),
        "owner_id": str(owner_id),
        "currency": currency,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "opening_balance": str(opening_balance),
        "rent_collected": str(quantize(collected)),
        "management_fees": str(quantize(fees)),
        "expenses": str(quantize(expenses)),
        "refunds": str(quantize(refunds)),
        "payouts": str(quantize(paid_out)),
        "payouts_returned": str(quantize(returned)),
        "adjustments": str(quantize(adjustments)),
        "closing_balance": str(quantize(running)),
        "lines": lines,
    }


# Dashboard


def payment_kpis(*, company_id: UUID | None, since: datetime) -> dict[str, Any]:
    """Live dashboard counters: payments received since ``since`` (the start of the
    day), how many and how much per currency (``{"KES": "3000.00"}``), for one company
    or all with None."""
    payments = Payment.objects.filter(status=PaymentStatus.PAID, paid_at__gte=since)
    if company_id is not None:
        payments = payments.filter(company_id=company_id)
    rows = payments.order_by().values("currency").annotate(count=Count("pk"), amount=Sum("amount"))
    per_currency = [(row["currency"], row["amount"], row["count"]) for row in rows]
    return {
        "payments_today": sum(count for _, _, count in per_currency),
        "collected_today": money_totals((currency, amount) for currency, amount, _ in per_currency),
    }


def payment_dashboard_rows(*, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Payments received (paid) during ``period`` in ``scope`` (an agent's and an
    owner's: on the listings they are the agent or owner of) per currency and purpose:
    how many and how much (one query)."""
    rows = (
        Payment.objects.filter(
            scope.q(agent=("listing__agent_id",), owner=("listing__owner_id",)),
            period.q("paid_at"),
            status=PaymentStatus.PAID,
        )
        .order_by()
        .values("currency", "purpose")
        .annotate(count=Count("pk"), value=Sum("amount"))
    )
    return list(rows)


def payment_rollup_rows(*, company_ids: list[UUID | None] | None = None) -> list[dict[str, Any]]:
    """The dashboards' roll-up counters of payments received: per currency, purpose and
    the day they were paid (one query)."""
    return rollup_rows(
        Payment.objects.all(),
        company_ids=company_ids,
        keys=("purpose",),
        currency="currency",
        amount="amount",
        measures={"paid": ("paid_at", Q(status=PaymentStatus.PAID, paid_at__isnull=False))},
    )


def invoice_collection_rows(*, scope: Scope, period: Period, today: date) -> list[dict[str, Any]]:
    """Invoices in ``scope`` (an agent's and an owner's: on their listings) per currency:
    billed during ``period`` (issued, not void: count, total, paid so far), and what is
    open now per age past its due date, 0-30, 31-60, 61-90 and 90+ days (one query)."""
    from datetime import timedelta

    from django.db.models import F

    from domus.finance.models import OPEN_INVOICE_STATUSES, InvoiceStatus

    billed = Q(issue_date__gte=period.start.date(), issue_date__lt=period.end.date()) & ~Q(status=InvoiceStatus.VOID)
    open_ = Q(status__in=OPEN_INVOICE_STATUSES)

    def aged(low: int, high: int | None) -> Q:
        condition = open_ & Q(due_date__lte=today - timedelta(days=low))
        return condition & Q(due_date__gt=today - timedelta(days=high)) if high is not None else condition

    balance = F("total") - F("amount_paid")
    rows = (
        Invoice.objects.filter(scope.q(agent=("listing__agent_id",), owner=("listing__owner_id",)))
        .order_by()
        .values("currency")
        .annotate(
            billed=Count("pk", filter=billed),
            billed_total=Sum("total", filter=billed),
            billed_paid=Sum("amount_paid", filter=billed),
            open=Count("pk", filter=open_),
            outstanding=Sum(balance, filter=open_),
            not_due=Sum(balance, filter=open_ & Q(due_date__gt=today)),
            days_0_30=Sum(balance, filter=aged(0, 31)),
            days_31_60=Sum(balance, filter=aged(31, 61)),
            days_61_90=Sum(balance, filter=aged(61, 91)),
            days_90_plus=Sum(balance, filter=aged(91, None)),
        )
    )
    return list(rows)
