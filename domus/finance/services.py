"""Every write to money: the ledger, invoices, payments (M-Pesa and manual) and owner payouts.

Money rules: every posting is one balanced ``LedgerTransaction`` whose ``(kind, reference_id)``
is unique; a payment is applied to its invoice and posted in the same database transaction."""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import Conflict, PermissionDenied, ServiceUnavailable, ValidationFailed
from domus.core.money import DEFAULT_CURRENCY, quantize
from domus.core.policies import is_admin
from domus.finance.models import (
    ACCOUNT_KINDS,
    OPEN_INVOICE_STATUSES,
    RETRYABLE_STATUSES,
    Account,
    AccountCode,
    CallbackReview,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    LedgerTransaction,
    LineKind,
    OwnerExpense,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    Payout,
    PayoutStatus,
    ReviewReason,
)
from domus.finance.policies import can_pay_invoice, is_company_staff
from domus.integrations import mpesa
from domus.integrations.pdf import PdfTable, render_pdf
from domus.leasing import selectors as leasing_selectors
from domus.leasing import services as leasing_services
from domus.properties import selectors as property_selectors

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def _actor_id(actor: Any) -> str | None:
    return str(actor.id) if getattr(actor, "is_authenticated", False) else None


def _recipients(actor: Any, *user_ids: Any) -> list[str]:
    actor_id = getattr(actor, "id", None)
    return sorted({str(uid) for uid in user_ids if uid is not None and uid != actor_id})


# Ledger --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One side of a posting: ``account`` is an AccountCode; exactly one of debit/credit is positive."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    owner_id: Any = None


def accounts_for(company_id: UUID) -> dict[str, Account]:
    """The company's chart of accounts, created on first use."""
    accounts = {account.code: account for account in Account.objects.filter(company_id=company_id)}
    for code, kind in ACCOUNT_KINDS.items():
        if code not in accounts:
            accounts[code], _ = Account.objects.get_or_create(
                company_id=company_id, code=code, defaults={"kind": kind, "name": AccountCode(code).label}
            )
    return accounts


@dataclass(frozen=True)
class Posting:
    """One balanced transaction to post (see ``ledger_post``)."""

    company_id: UUID
    kind: str
    reference_type: str
    reference_id: UUID
    lines: list[Line]
    currency: str
    memo: str = ""
    actor: Any = None
    reverses: LedgerTransaction | None = None


def ledger_post_many(postings: list[Posting]) -> list[LedgerTransaction]:
    """Post balanced transactions in bulk. Zero lines are dropped; an unbalanced posting refuses them all."""
    accounts: dict[UUID, dict[str, Account]] = {}
    transactions: list[LedgerTransaction] = []
    entries: list[LedgerEntry] = []
    for posting in postings:
        lines = [
            Line(line.account, quantize(line.debit), quantize(line.credit), line.owner_id)
            for line in posting.lines
            if line.debit or line.credit
        ]
        debits = sum((line.debit for line in lines), ZERO)
        credits = sum((line.credit for line in lines), ZERO)
        if debits != credits or debits <= 0:
            raise ValueError(f"unbalanced posting {posting.kind}: debits {debits} != credits {credits}")
        if posting.company_id not in accounts:
            accounts[posting.company_id] = accounts_for(posting.company_id)
        chart = accounts[posting.company_id]
        posted = LedgerTransaction(
            company_id=posting.company_id,
            kind=posting.kind,
            reference_type=posting.reference_type,
            reference_id=posting.reference_id,
            memo=posting.memo[:255],
            currency=posting.currency,
            amount=debits,
            reverses=posting.reverses,
            created_by=posting.actor if getattr(posting.actor, "is_authenticated", False) else None,
        )
        transactions.append(posted)
        entries.extend(
            LedgerEntry(
                transaction=posted,
                account=chart[line.account],
                owner_id=line.owner_id,
                debit=line.debit,
                credit=line.credit,
            )
            for line in lines
        )
    LedgerTransaction.objects.bulk_create(transactions)
    LedgerEntry.objects.bulk_create(entries)
    return transactions


def ledger_post(
    *,
    company_id: UUID,
    kind: str,
    reference_type: str,
    reference_id: UUID,
    lines: Iterable[Line],
    currency: str,
    memo: str = "",
    actor: Any = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction. Zero lines are dropped; unbalanced postings are refused."""
    posting = Posting(company_id, kind, reference_type, reference_id, list(lines), currency, memo, actor, reverses)
    return ledger_post_many([posting])[0]


def ledger_reverse(*, original: LedgerTransaction, kind: str, memo: str, actor: Any = None) -> LedgerTransaction:
    """The correcting entry of ``original``: every line with its sides swapped."""
    lines = [
        Line(entry.account.code, debit=entry.credit, credit=entry.debit, owner_id=entry.owner_id)
        for entry in original.entries.select_related("account")
    ]
    return ledger_post(
        company_id=original.company_id,
        kind=kind,
        reference_type=original.reference_type,
        reference_id=original.reference_id,
        lines=lines,
        currency=original.currency,
        memo=memo,
        actor=actor,
        reverses=original,
    )


def ledger_verify() -> dict[str, Any]:
    """Check that every transaction balances and equals its stated amount, and that each
    company's debits equal its credits (the trial balance)."""
    unbalanced = []
    sums = LedgerTransaction.objects.annotate(debits=Sum("entries__debit"), credits=Sum("entries__credit")).values(
        "id", "amount", "debits", "credits"
    )
    count = 0
    for row in sums.iterator(chunk_size=2000):
        count += 1
        if row["debits"] is None or row["debits"] != row["credits"] or row["debits"] != row["amount"]:
            unbalanced.append(str(row["id"]))
    totals = LedgerEntry.objects.values("transaction__company_id").annotate(d=Sum("debit"), c=Sum("credit"))
    companies_off = [str(row["transaction__company_id"]) for row in totals if row["d"] != row["c"]]
    negative_owners = [
        {"company_id": str(row["account__company_id"]), "owner_id": str(row["owner_id"]), "balance": str(row["b"])}
        for row in LedgerEntry.objects.filter(account__code=AccountCode.OWNER_PAYABLE)
        .values("account__company_id", "owner_id")
        .annotate(b=Sum("credit") - Sum("debit"))
        if row["b"] < 0
    ]
    return {
        # A negative owner balance (expenses or a refund after a payout) is reported, not an error.
        "ok": not unbalanced and not companies_off,
        "transactions": count,
        "unbalanced_transactions": unbalanced[:100],
        "companies_out_of_balance": companies_off,
        "negative_owner_balances": negative_owners,
    }


def owner_balance(*, company_id: UUID, owner_id: UUID) -> Decimal:
    """Rent collected for the owner, less management fees and payouts (owner-payable credits - debits)."""
    row = LedgerEntry.objects.filter(
        account__company_id=company_id, account__code=AccountCode.OWNER_PAYABLE, owner_id=owner_id
    ).aggregate(c=Sum("credit"), d=Sum("debit"))
    return quantize((row["c"] or ZERO) - (row["d"] or ZERO))


# Invoices ------------------------------------------------------------------------------


LOCK_COUNTER_SQL = (
    "UPDATE finance_invoicecounter SET last_number = last_number WHERE company_id = %s RETURNING last_number"
)
NEXT_NUMBER_SQL = (
    "UPDATE finance_invoicecounter SET last_number = last_number + 1 WHERE company_id = %s RETURNING last_number"
)


def _next_number(company_id: UUID) -> int:
    """The company's next invoice number. The UPDATE locks the counter row until commit, so
    numbers are gapless (a rolled-back invoice gives its number back) and never repeat."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_NUMBER_SQL, [company_id.hex if connection.vendor == "sqlite" else company_id])
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    InvoiceCounter.objects.get_or_create(company_id=company_id)
    return _next_number(company_id)


def _build_lines(invoice: Invoice, lines: list[dict[str, Any]]) -> list[InvoiceLine]:
    if not lines:
        raise ValidationFailed("An invoice needs at least one line.", errors={"lines": ["At least one line."]})
    built = []
    for data in lines:
        line = InvoiceLine(
            invoice=invoice,
            kind=data.get("kind", LineKind.OTHER),
            description=data["description"],
            quantity=Decimal(data.get("quantity", 1)),
            unit_price=quantize(data["unit_price"]),
            tax_rate=Decimal(data.get("tax_rate", 0)),
        )
        line.amount = quantize(line.quantity * line.unit_price)
        line.tax_amount = quantize(line.amount * line.tax_rate / 100)
        built.append(line)
    return built


def _set_totals(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    invoice.subtotal = quantize(sum((line.amount for line in lines), ZERO))
    invoice.tax_total = quantize(sum((line.tax_amount for line in lines), ZERO))
    invoice.total = invoice.subtotal + invoice.tax_total


@transaction.atomic
def invoice_create(
    *,
    actor: Any,
    company_id: UUID,
    recipient: Any,
    lines: list[dict[str, Any]],
    due_date: date,
    issue_date: date | None = None,
    currency: str | None = None,
    listing_id: UUID | None = None,
    notes: str = "",
) -> Invoice:
    """A draft invoice with its lines and totals, numbered in the company's gapless sequence."""
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff can create invoices.")
    issue_date = issue_date or timezone.localdate()
    if due_date < issue_date:
        raise ValidationFailed("The due date is before the issue date.", errors={"due_date": ["Before issue_date."]})
    invoice = Invoice(
        company_id=company_id,
        recipient=recipient,
        listing_id=listing_id,
        currency=currency or DEFAULT_CURRENCY,
        issue_date=issue_date,
        due_date=due_date,
        notes=notes,
        created_by=actor,
    )
    built = _build_lines(invoice, lines)
    _set_totals(invoice, built)
    invoice.number = _next_number(company_id)
    invoice.save()
    InvoiceLine.objects.bulk_create(built)
    audit_create(actor=actor, instance=invoice, company_id=company_id)
    return invoice


@transaction.atomic
def invoice_update(
    *, actor: Any, invoice: Invoice, lines: list[dict[str, Any]] | None = None, **fields: Any
) -> Invoice:
    """Edit a draft invoice (due date, notes, recipient, lines)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict("Only draft invoices can be edited.")
    before = audit_snapshot(invoice)
    for name in ("due_date", "issue_date", "notes", "recipient", "currency"):
        if name in fields and fields[name] is not None:
            setattr(invoice, name, fields[name])
    if invoice.due_date < invoice.issue_date:
        raise ValidationFailed("The due date is before the issue date.", errors={"due_date": ["Before issue_date."]})
    if lines is not None:
        built = _build_lines(invoice, lines)
        invoice.lines.all().delete()
        InvoiceLine.objects.bulk_create(built)
        _set_totals(invoice, built)
    invoice.save()
    audit_update(actor=actor, instance=invoice, before=before, company_id=invoice.company_id)
    return invoice


def _invoice_posting(invoice: Invoice, actor: Any = None) -> Posting:
    return Posting(
        company_id=invoice.company_id,
        kind="invoice",
        reference_type="invoice",
        reference_id=invoice.id,
        currency=invoice.currency,
        memo=f"{invoice.display_number} issued",
        actor=actor,
        lines=[
            Line(AccountCode.RECEIVABLES, debit=invoice.total),
            Line(AccountCode.RENT_BILLED, credit=invoice.subtotal),
            Line(AccountCode.TAX_PAYABLE, credit=invoice.tax_total),
        ],
    )


def _post_invoice(invoice: Invoice, actor: Any = None) -> None:
    ledger_post_many([_invoice_posting(invoice, actor)])


def _issue(invoice: Invoice, actor: Any = None) -> None:
    """Draft -> sent, posting the receivable."""
    invoice.status = InvoiceStatus.SENT
    invoice.save(update_fields=["status", "updated_at"])
    _post_invoice(invoice, actor)


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF document."""
    rows = [
        [line.description, f"{line.quantity}", f"{line.unit_price}", f"{line.tax_amount}", f"{line.amount}"]
        for line in invoice.lines.all()
    ]
    return render_pdf(
        title=f"Invoice {invoice.display_number}",
        fields=[
            ("Issued", invoice.issue_date.isoformat()),
            ("Due", invoice.due_date.isoformat()),
            ("Bill to", invoice.recipient.get_full_name() or invoice.recipient.email),
            ("Subtotal", f"{invoice.subtotal} {invoice.currency}"),
            ("Tax", f"{invoice.tax_total} {invoice.currency}"),
            ("Total", f"{invoice.total} {invoice.currency}"),
            ("Paid", f"{invoice.amount_paid} {invoice.currency}"),
        ],
        table=PdfTable(["Description", "Qty", "Unit price", "Tax", "Amount"], rows, (4, 1, 2, 1.5, 2)),
        paragraphs=[invoice.notes] if invoice.notes else [],
        footer="Pay with M-Pesa from your Domus account.",
    )


def invoice_deliver(*, invoice_id: UUID) -> None:
    """E-mail the invoice PDF to its recipient (runs after the issuing transaction commits)."""
    invoice = Invoice.objects.select_related("recipient").get(pk=invoice_id)
    if not invoice.recipient.email:
        return
    message = EmailMessage(
        subject=f"Invoice {invoice.display_number}: {invoice.total} {invoice.currency} due {invoice.due_date}",
        body=f"Please find invoice {invoice.display_number} attached. Amount due: {invoice.balance_due} "
        f"{invoice.currency}, by {invoice.due_date}.",
        to=[invoice.recipient.email],
    )
    message.attach(f"{invoice.display_number}.pdf", invoice_pdf(invoice), "application/pdf")
    message.send(fail_silently=False)


def _announce_sent(invoice: Invoice, actor: Any) -> None:
    def queue() -> None:
        from domus.finance.tasks import invoice_email

        invoice_email.delay(str(invoice.id))

    transaction.on_commit(queue, robust=True)
    publish(
        "invoice.sent",
        {
            "id": str(invoice.id),
            "company_id": str(invoice.company_id),
            "actor_id": _actor_id(actor),
            "recipient_ids": _recipients(actor, invoice.recipient_id),
            "number": invoice.display_number,
        },
    )


@transaction.atomic
def invoice_send(*, actor: Any, invoice: Invoice) -> Invoice:
    """Issue a draft (posting it to the ledger) or resend an open invoice: the PDF is e-mailed
    and the recipient notified in the app."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.PAID):
        raise Conflict(f"A {invoice.status} invoice cannot be sent.")
    before = audit_snapshot(invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        _issue(invoice, actor)
    invoice.sent_at = timezone.now()
    invoice.save(update_fields=["sent_at", "updated_at"])
    audit_update(actor=actor, instance=invoice, before=before, action="send", company_id=invoice.company_id)
    _announce_sent(invoice, actor)
    return invoice


@transaction.atomic
def invoice_void(*, actor: Any, invoice: Invoice, reason: str = "") -> Invoice:
    """Void an invoice with nothing paid on it; an issued one gets a reversing ledger entry."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        return invoice
    if invoice.amount_paid > 0:
        raise Conflict("An invoice with payments cannot be voided.")
    before = audit_snapshot(invoice)
    for posted in LedgerTransaction.objects.filter(reference_id=invoice.id, kind__in=("invoice", "late_fee")):
        ledger_reverse(
            original=posted, kind=f"{posted.kind}_void", memo=f"{invoice.display_number} voided", actor=actor
        )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.void_reason = reason[:255]
    invoice.save(update_fields=["status", "voided_at", "void_reason", "updated_at"])
    audit_update(actor=actor, instance=invoice, before=before, action="void", company_id=invoice.company_id)
    return invoice


def _period_invoice(period: Any, number: int) -> tuple[Invoice, list[InvoiceLine]]:
    lease = period.lease
    invoice = Invoice(
        company_id=lease.company_id,
        number=number,
        recipient_id=lease.tenant_id,
        lease_id=lease.id,
        period_start=period.period_start,
        listing_id=lease.listing_id,
        currency=lease.currency,
        issue_date=timezone.localdate(),
        due_date=period.due_date,
        status=InvoiceStatus.SENT,
        sent_at=timezone.now(),
    )
    line = {
        "kind": LineKind.RENT,
        "description": f"Rent {period.period_start:%d %b %Y} - {period.period_end:%d %b %Y}",
        "unit_price": period.amount,
        "tax_rate": Decimal(settings.FINANCE_TAX_RATE_RENT),
    }
    built = _build_lines(invoice, [line])
    _set_totals(invoice, built)
    return invoice, built


def _queue_announcements(invoice_ids: list[UUID]) -> None:
    """After commit, one Celery task announces (event + e-mailed PDF) a whole batch of invoices."""

    def queue() -> None:
        from domus.finance.tasks import invoices_announce

        invoices_announce.delay([str(invoice_id) for invoice_id in invoice_ids])

    transaction.on_commit(queue, robust=True)


def invoices_announce(*, invoice_ids: list[UUID]) -> None:
    """Publish ``invoice.sent`` and e-mail the PDF of each (job-issued) invoice."""
    for invoice in Invoice.objects.filter(pk__in=invoice_ids).only("id", "company_id", "recipient_id", "number"):
        publish(
            "invoice.sent",
            {
                "id": str(invoice.id),
                "company_id": str(invoice.company_id),
                "actor_id": None,
                "recipient_ids": [str(invoice.recipient_id)],
                "number": invoice.display_number,
            },
        )
        invoice_deliver(invoice_id=invoice.id)


@transaction.atomic
def invoice_issue_for_period(*, period: Any) -> Invoice:
    """Issue (and announce) the rent invoice of one rent period. The database refuses a
    second invoice for the same lease and period (IntegrityError for the caller)."""
    invoice, built = _period_invoice(period, _next_number(period.lease.company_id))
    invoice.save()
    InvoiceLine.objects.bulk_create(built)
    _post_invoice(invoice)
    leasing_services.rent_periods_mark_invoiced(pairs=[(period.id, invoice.id)])
    audit_record(
        actor=None,
        action="issue",
        resource_type="finance.invoice",
        resource_id=invoice.id,
        company_id=invoice.company_id,
    )
    _queue_announcements([invoice.id])
    return invoice


@transaction.atomic
def _issue_batch(company_id: UUID, period_ids: list[UUID]) -> int:
    """Issue the invoices of one company's rent periods in one transaction. The counter row is
    locked first, then the periods are re-read, so a concurrent run that got there first is
    seen and its periods skipped; any remaining clash raises IntegrityError (the caller falls back)."""
    InvoiceCounter.objects.get_or_create(company_id=company_id)
    with connection.cursor() as cursor:
        cursor.execute(LOCK_COUNTER_SQL, [company_id.hex if connection.vendor == "sqlite" else company_id])
        last = cursor.fetchone()[0]
    periods = list(leasing_selectors.rent_periods_uninvoiced(period_ids=period_ids))
    if not periods:
        return 0
    invoices, lines = [], []
    for offset, period in enumerate(periods, start=1):
        invoice, built = _period_invoice(period, last + offset)
        invoices.append(invoice)
        lines.extend(built)
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(lines)
    InvoiceCounter.objects.filter(company_id=company_id).update(last_number=last + len(invoices))
    ledger_post_many([_invoice_posting(invoice) for invoice in invoices])
    leasing_services.rent_periods_mark_invoiced(
        pairs=[(period.id, invoice.id) for period, invoice in zip(periods, invoices, strict=True)]
    )
    audit_record(
        actor=None,
        action="issue_rent_invoices",
        resource_type="finance.invoice",
        resource_id=invoices[0].id,
        changes={"invoice_ids": [str(invoice.id) for invoice in invoices]},
        company_id=company_id,
    )
    _queue_announcements([invoice.id for invoice in invoices])
    return len(invoices)


def rent_invoices_issue(*, today: date | None = None, batch_size: int = 500) -> int:
    """The beat job: issue every due rent period's invoice exactly once, in batches of one
    company's periods. Safe to run twice or concurrently: (lease, period) is unique and a batch
    that clashes is redone one period at a time, skipping what another run issued. Answers how
    many invoices this run issued."""
    today = today or timezone.localdate()
    due = leasing_selectors.rent_periods_to_invoice(on=today, lead_days=settings.FINANCE_INVOICE_LEAD_DAYS)
    by_company: dict[UUID, list[UUID]] = defaultdict(list)
    for period_id, company_id in due.values_list("id", "lease__company_id").iterator(chunk_size=5000):
        by_company[company_id].append(period_id)
    issued = 0
    for company_id, period_ids in by_company.items():
        for start in range(0, len(period_ids), batch_size):
            chunk = period_ids[start : start + batch_size]
            try:
                issued += _issue_batch(company_id, chunk)
            except IntegrityError:
                for period in leasing_selectors.rent_periods_uninvoiced(period_ids=chunk):
                    try:
                        invoice_issue_for_period(period=period)
                    except IntegrityError:
                        continue  # another run issued it first
                    issued += 1
    return issued


@transaction.atomic
def _late_fee_one(invoice_id: UUID, today: date) -> bool:
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("lease").get(pk=invoice_id)
    lease = invoice.lease
    if invoice.late_fee_applied or invoice.status not in OPEN_INVOICE_STATUSES or lease is None:
        return False
    if invoice.due_date + timedelta(days=lease.grace_days) >= today:
        return False
    fee = leasing_services.late_fee_for(lease, invoice.subtotal)
    if fee > 0:
        InvoiceLine.objects.create(
            invoice=invoice, kind=LineKind.LATE_FEE, description="Late payment fee", unit_price=fee, amount=fee
        )
        invoice.subtotal += fee
        invoice.total += fee
        ledger_post(
            company_id=invoice.company_id,
            kind="late_fee",
            reference_type="invoice",
            reference_id=invoice.id,
            currency=invoice.currency,
            memo=f"{invoice.display_number} late fee",
            lines=[Line(AccountCode.RECEIVABLES, debit=fee), Line(AccountCode.RENT_BILLED, credit=fee)],
        )
    invoice.late_fee_applied = True
    invoice.status = InvoiceStatus.OVERDUE
    invoice.save(update_fields=["subtotal", "total", "late_fee_applied", "status", "updated_at"])
    publish(
        "invoice.overdue",
        {
            "id": str(invoice.id),
            "company_id": str(invoice.company_id),
            "actor_id": None,
            "recipient_ids": [str(invoice.recipient_id)],
            "late_fee": str(fee),
        },
    )
    return True


def late_fees_apply(*, today: date | None = None) -> int:
    """The beat job: open lease invoices past due date + grace days become overdue and get
    their late fee once. Answers how many invoices it changed."""
    today = today or timezone.localdate()
    candidates = Invoice.objects.filter(
        status__in=OPEN_INVOICE_STATUSES, late_fee_applied=False, lease__isnull=False, due_date__lt=today
    ).values_list("id", flat=True)
    return sum(1 for invoice_id in list(candidates) if _late_fee_one(invoice_id, today))


# Payments ------------------------------------------------------------------------------

RESULT_STATUSES = {
    0: PaymentStatus.PAID,
    1032: PaymentStatus.CANCELLED,
    1037: PaymentStatus.TIMED_OUT,
    1019: PaymentStatus.TIMED_OUT,
    1: PaymentStatus.INSUFFICIENT_FUNDS,
    2001: PaymentStatus.WRONG_PIN,
}


def status_for_result(code: int) -> str:
    """Daraja ResultCode -> payment status (0 paid, 1032 cancelled, 1037/1019 timed out,
    1 insufficient funds, 2001 wrong PIN, anything else failed)."""
    return RESULT_STATUSES.get(code, PaymentStatus.FAILED)


def _clearing_account(method: str) -> str:
    return AccountCode.MPESA_CLEARING if method == PaymentMethod.MPESA else AccountCode.BANK


def _apply(payment: Payment, actor: Any = None) -> None:
    """Apply a paid payment to its invoice (partial allowed, overpayment held as credit) and
    post it, inside the caller's transaction."""
    amount = quantize(payment.amount)
    lines = [Line(_clearing_account(payment.method), debit=amount)]
    applied = ZERO
    if payment.invoice_id:
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("lease").get(pk=payment.invoice_id)
        applied = min(amount, quantize(invoice.balance_due))
        invoice.amount_paid += applied
        if invoice.amount_paid >= invoice.total:
            invoice.status = InvoiceStatus.PAID
        elif invoice.amount_paid > 0:
            invoice.status = InvoiceStatus.PARTIALLY_PAID
        invoice.save(update_fields=["amount_paid", "status", "updated_at"])
        lines.append(Line(AccountCode.RECEIVABLES, credit=applied))
        # Earned part: the applied amount without its share of tax goes to the owner less the fee.
        earned = quantize(applied * invoice.subtotal / invoice.total) if invoice.total else ZERO
        tax_part = applied - earned
        lease = invoice.lease
        if earned:
            lines.append(Line(AccountCode.RENT_BILLED, debit=earned))
            if lease is not None:
                fee = quantize(earned * lease.management_fee_percent / 100)
                lines.append(Line(AccountCode.OWNER_PAYABLE, credit=earned - fee, owner_id=lease.owner_id))
                lines.append(Line(AccountCode.FEE_REVENUE, credit=fee))
            else:
                lines.append(Line(AccountCode.FEE_REVENUE, credit=earned))
        del tax_part  # tax stays in tax_payable until remitted
        credit = amount - applied
        lines.append(Line(AccountCode.TENANT_CREDIT, credit=credit))
    elif payment.purpose == PaymentPurpose.DEPOSIT:
        credit = ZERO
        lines.append(Line(AccountCode.TENANT_DEPOSITS, credit=amount))
    elif payment.purpose == PaymentPurpose.BOOKING_FEE:
        credit = ZERO
        lines.append(Line(AccountCode.FEE_REVENUE, credit=amount))
    else:
        credit = amount
        lines.append(Line(AccountCode.TENANT_CREDIT, credit=amount))
    payment.amount_applied = applied
    payment.amount_credited = credit
    payment.save(update_fields=["amount_applied", "amount_credited", "updated_at"])
    ledger_post(
        company_id=payment.company_id,
        kind="payment",
        reference_type="payment",
        reference_id=payment.id,
        currency=payment.currency,
        memo=f"{payment.get_method_display()} payment {payment.mpesa_receipt or payment.reference}".strip(),
        actor=actor,
        lines=lines,
    )


def _announce_payment(payment: Payment, actor: Any = None) -> None:
    payload = {
        "id": str(payment.id),
        "company_id": str(payment.company_id),
        "actor_id": _actor_id(actor),
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
    }
    if payment.status == PaymentStatus.PAID:
        publish("payment.received", {**payload, "recipient_ids": _recipients(actor, payment.payer_id)})
    else:
        publish("payment.failed", {**payload, "recipient_ids": _recipients(actor, payment.payer_id)})


def _target(*, actor: Any, invoice_id: UUID | None, listing_id: UUID | None) -> tuple[Invoice | None, Any]:
    if invoice_id is not None:
        from domus.finance.selectors import invoice_get_for_actor

        invoice = invoice_get_for_actor(actor=actor, invoice_id=invoice_id)
        if invoice.status not in OPEN_INVOICE_STATUSES:
            raise Conflict(f"A {invoice.status} invoice cannot be paid.")
        if not can_pay_invoice(actor, invoice):
            raise PermissionDenied("Only the invoice's recipient or company staff can pay it.")
        return invoice, None
    if listing_id is None:
        raise ValidationFailed("Say what is paid.", errors={"invoice_id": ["invoice_id or a listing is required."]})
    listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    if listing.company_id is None:
        raise ValidationFailed("This listing takes no payments.", errors={"listing_id": ["No managing company."]})
    return None, listing


def _stk_push(payment: Payment) -> Payment:
    """Send the STK push of a committed pending payment and store Daraja's request ids."""
    try:
        result = mpesa.DarajaClient().stk_push(
            amount=payment.amount,
            phone=payment.phone,
            account_reference=(payment.invoice.display_number if payment.invoice_id else str(payment.id)[:12]),
            description=payment.get_purpose_display(),
        )
    except mpesa.MpesaError as error:
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED, result_desc=str(error)[:255])
        raise ServiceUnavailable("M-Pesa is not answering; try again shortly.") from error
    payment.merchant_request_id = result.merchant_request_id
    payment.checkout_request_id = result.checkout_request_id
    payment.result_desc = result.customer_message or result.response_description
    payment.save(update_fields=["merchant_request_id", "checkout_request_id", "result_desc", "updated_at"])
    return payment


def payment_stk_start(
    *,
    actor: Any,
    phone: str,
    invoice_id: UUID | None = None,
    listing_id: UUID | None = None,
    purpose: str = PaymentPurpose.INVOICE,
    amount: Decimal | None = None,
) -> Payment:
    """Start an M-Pesa STK push for an invoice (amount defaults to the balance due) or for a
    listing (deposit, booking fee or rent; amount required). The pending payment is committed
    before Daraja is called so the callback always finds it."""
    try:
        msisdn = mpesa.normalise_phone(phone)
    except mpesa.InvalidPhone as error:
        raise ValidationFailed(str(error), errors={"phone": [str(error)]}) from error
    invoice, listing = _target(actor=actor, invoice_id=invoice_id, listing_id=listing_id)
    if invoice is not None:
        amount = amount or invoice.balance_due
        company_id, currency, purpose = invoice.company_id, invoice.currency, PaymentPurpose.INVOICE
    else:
        if purpose == PaymentPurpose.INVOICE:
            raise ValidationFailed("Say what is paid.", errors={"purpose": ["deposit, booking_fee or rent."]})
        if not amount:
            raise ValidationFailed("The amount is required.", errors={"amount": ["Required for a listing payment."]})
        company_id, currency = listing.company_id, listing.currency
    if quantize(amount) < 1:
        raise ValidationFailed("Nothing to pay.", errors={"amount": ["At least 1."]})
    with transaction.atomic():
        payment = Payment.objects.create(
            company_id=company_id,
            invoice=invoice,
            listing_id=listing.id if listing is not None else (invoice.listing_id if invoice else None),
            payer=actor,
            purpose=purpose,
            method=PaymentMethod.MPESA,
            amount=quantize(amount),
            currency=currency,
            phone=msisdn,
        )
        audit_create(actor=actor, instance=payment, company_id=company_id)
    return _stk_push(payment)


def payment_retry(*, actor: Any, payment: Payment) -> Payment:
    """Admin: a new STK attempt for a failed or expired M-Pesa payment; the old one is kept."""
    if not is_admin(actor):
        raise PermissionDenied("Only admins retry payments.")
    if payment.method != PaymentMethod.MPESA or payment.status not in RETRYABLE_STATUSES:
        raise Conflict("Only a failed, cancelled, timed-out or expired M-Pesa payment can be retried.")
    if payment.invoice_id and payment.invoice.status not in OPEN_INVOICE_STATUSES:
        raise Conflict("The invoice is no longer open.")
    with transaction.atomic():
        retry = Payment.objects.create(
            company_id=payment.company_id,
            invoice_id=payment.invoice_id,
            listing_id=payment.listing_id,
            payer_id=payment.payer_id,
            purpose=payment.purpose,
            method=PaymentMethod.MPESA,
            amount=payment.amount,
            currency=payment.currency,
            phone=payment.phone,
            retry_of=payment,
        )
        audit_record(
            actor=actor,
            action="retry",
            resource_type="finance.payment",
            resource_id=payment.id,
            changes={"retry_id": str(retry.id)},
            company_id=payment.company_id,
        )
    return _stk_push(retry)


@transaction.atomic
def payment_record_manual(
    *,
    actor: Any,
    method: str,
    amount: Decimal,
    reference: str,
    invoice_id: UUID | None = None,
    listing_id: UUID | None = None,
    purpose: str = PaymentPurpose.INVOICE,
    payer: Any = None,
    paid_at: datetime | None = None,
) -> Payment:
    """Staff record a cash, bank-transfer or cheque payment; it is applied and posted at once."""
    if method == PaymentMethod.MPESA:
        raise ValidationFailed(
            "M-Pesa payments come from M-Pesa.", errors={"method": ["cash, bank_transfer or cheque."]}
        )
    invoice, listing = _target(actor=actor, invoice_id=invoice_id, listing_id=listing_id)
    company_id = invoice.company_id if invoice else listing.company_id
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff record manual payments.")
    if invoice is None and purpose == PaymentPurpose.INVOICE:
        raise ValidationFailed("Say what is paid.", errors={"purpose": ["deposit, booking_fee or rent."]})
    payment = Payment.objects.create(
        company_id=company_id,
        invoice=invoice,
        listing_id=listing.id if listing is not None else invoice.listing_id,
        payer=payer or (invoice.recipient if invoice else None),
        purpose=PaymentPurpose.INVOICE if invoice else purpose,
        method=method,
        amount=quantize(amount),
        currency=invoice.currency if invoice else listing.currency,
        reference=reference,
        status=PaymentStatus.PAID,
        paid_at=paid_at or timezone.now(),
        recorded_by=actor,
    )
    _apply(payment, actor)
    audit_create(actor=actor, instance=payment, company_id=company_id)
    _announce_payment(payment, actor)
    return payment


@transaction.atomic
def payment_attach_proof(*, actor: Any, payment: Payment, upload: Any) -> Payment:
    """Attach the proof (receipt scan, bank slip) of a manual payment."""
    if not is_company_staff(actor, payment.company_id):
        raise PermissionDenied("Only the company's staff attach proofs.")
    if payment.method == PaymentMethod.MPESA:
        raise Conflict("M-Pesa payments carry their M-Pesa receipt.")
    before = audit_snapshot(payment)
    payment.proof.save(upload.name, upload, save=True)
    audit_update(actor=actor, instance=payment, before=before, company_id=payment.company_id)
    return payment


def _review(
    reason: str,
    *,
    body: Any,
    raw: str = "",
    checkout_id: str = "",
    payment: Payment | None = None,
    remote_addr: str = "",
) -> None:
    CallbackReview.objects.create(
        reason=reason,
        payment=payment,
        checkout_request_id=checkout_id[:100],
        payload=body if isinstance(body, dict) else {},
        raw_body=raw[:20000],
        remote_addr=remote_addr[:45],
    )
    logger.warning("mpesa callback held for review: %s %s", reason, checkout_id)


def _metadata(callback: dict[str, Any]) -> dict[str, Any]:
    items = (callback.get("CallbackMetadata") or {}).get("Item") or []
    if not isinstance(items, list):
        raise ValueError("CallbackMetadata.Item is not a list")
    return {item["Name"]: item.get("Value") for item in items if isinstance(item, dict) and "Name" in item}


def _settle(
    payment_id: UUID, *, code: int, desc: str, meta: dict[str, Any], body: Any, raw: str, remote_addr: str
) -> bool:
    """Give a pending M-Pesa payment its outcome, once. Answers whether anything changed."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.PENDING:
            return False  # duplicate or late callback: already settled
        status = status_for_result(code)
        payment.result_code = code
        payment.result_desc = desc[:255]
        if status == PaymentStatus.PAID and "Amount" in meta:
            try:
                paid = Decimal(str(meta["Amount"]))
            except (ArithmeticError, ValueError):
                paid = None
            if paid is None or quantize(paid) != quantize(mpesa.whole_shillings(payment.amount)):
                payment.status = PaymentStatus.FAILED
                payment.result_desc = f"Amount mismatch: M-Pesa reported {meta.get('Amount')}; held for review."
                payment.save(update_fields=["status", "result_code", "result_desc", "updated_at"])
                _review(
                    ReviewReason.AMOUNT_MISMATCH,
                    body=body,
                    raw=raw,
                    checkout_id=payment.checkout_request_id or "",
                    payment=payment,
                    remote_addr=remote_addr,
                )
                return True
        payment.status = status
        if status == PaymentStatus.PAID:
            payment.mpesa_receipt = str(meta.get("MpesaReceiptNumber") or "") or None
            payment.paid_at = timezone.now()
        payment.save(update_fields=["status", "result_code", "result_desc", "mpesa_receipt", "paid_at", "updated_at"])
        if status == PaymentStatus.PAID:
            _apply(payment)
        audit_record(
            actor=None,
            action=f"mpesa_{status}",
            resource_type="finance.payment",
            resource_id=payment.id,
            changes={"result_code": code, "receipt": payment.mpesa_receipt},
            company_id=payment.company_id,
        )
        _announce_payment(payment)
    return True


def mpesa_callback_process(*, raw_body: bytes, remote_addr: str = "") -> None:
    """Handle one Daraja STK callback. Never raises for bad input: unknown checkout ids, malformed
    bodies and amount mismatches are recorded for review; repeats change nothing."""
    raw = raw_body.decode("utf-8", "replace")
    allowed = settings.MPESA_CALLBACK_ALLOWED_IPS
    if allowed and remote_addr not in allowed:
        _review(ReviewReason.FORBIDDEN_SOURCE, body={}, raw=raw, remote_addr=remote_addr)
        return
    try:
        body = json.loads(raw)
        callback = body["Body"]["stkCallback"]
        checkout_id = str(callback["CheckoutRequestID"])
        code = int(callback["ResultCode"])
        desc = str(callback.get("ResultDesc", ""))
        meta = _metadata(callback)
    except (ValueError, KeyError, TypeError) as error:
        _review(ReviewReason.MALFORMED, body={"error": str(error)}, raw=raw, remote_addr=remote_addr)
        return
    payment_id = Payment.objects.filter(checkout_request_id=checkout_id).values_list("id", flat=True).first()
    if payment_id is None:
        _review(ReviewReason.UNKNOWN_CHECKOUT, body=body, raw=raw, checkout_id=checkout_id, remote_addr=remote_addr)
        return
    try:
        _settle(payment_id, code=code, desc=desc, meta=meta, body=body, raw=raw, remote_addr=remote_addr)
    except IntegrityError:
        # e.g. a receipt number already used by another payment: nothing was changed.
        _review(ReviewReason.MALFORMED, body=body, raw=raw, checkout_id=checkout_id, remote_addr=remote_addr)


def mpesa_pending_query(*, now: datetime | None = None) -> int:
    """The beat job: ask Daraja about STK pushes still pending after a few minutes, so a lost
    callback does not leave a payment hanging; very old ones expire. Answers how many it settled."""
    now = now or timezone.now()
    settled = 0
    pending = Payment.objects.filter(
        method=PaymentMethod.MPESA,
        status=PaymentStatus.PENDING,
        checkout_request_id__isnull=False,
        created_at__lte=now - timedelta(seconds=settings.MPESA_PENDING_QUERY_AFTER),
    ).values_list("id", "checkout_request_id", "created_at")
    client = mpesa.DarajaClient()
    for payment_id, checkout_id, created_at in list(pending[:500]):
        try:
            result = client.stk_query(checkout_request_id=checkout_id)
        except mpesa.MpesaError:
            logger.warning("mpesa query failed for %s", checkout_id)
            continue
        if result.pending:
            if created_at <= now - timedelta(seconds=settings.MPESA_PENDING_EXPIRE_AFTER):
                settled += Payment.objects.filter(pk=payment_id, status=PaymentStatus.PENDING).update(
                    status=PaymentStatus.EXPIRED, result_desc="No answer from M-Pesa."
                )
            continue
        # The query answers no receipt or amount; a success is taken at the requested amount.
        amount = Payment.objects.values_list("amount", flat=True).get(pk=payment_id)
        meta = {"Amount": mpesa.whole_shillings(amount)} if result.result_code == 0 else {}
        if _settle(
            payment_id, code=result.result_code, desc=result.result_desc, meta=meta, body={}, raw="", remote_addr=""
        ):
            settled += 1
    return settled


# Payouts -------------------------------------------------------------------------------


@transaction.atomic
def payout_create(
    *, actor: Any, company_id: UUID, owner_id: UUID, amount: Decimal, note: str = "", currency: str = DEFAULT_CURRENCY
) -> Payout:
    """Pay an owner out of their balance. The company's owner-payable account row is locked so
    two racing payouts can never together exceed the balance."""
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff make payouts.")
    amount = quantize(amount)
    account = accounts_for(company_id)[AccountCode.OWNER_PAYABLE]
    Account.objects.select_for_update().get(pk=account.pk)
    balance = owner_balance(company_id=company_id, owner_id=owner_id)
    if amount > balance:
        raise Conflict(f"The owner's balance is {balance}; a payout of {amount} is more than that.")
    payout = Payout.objects.create(
        company_id=company_id, owner_id=owner_id, amount=amount, currency=currency, note=note, created_by=actor
    )
    ledger_post(
        company_id=company_id,
        kind="payout",
        reference_type="payout",
        reference_id=payout.id,
        currency=currency,
        memo=f"Payout to owner {owner_id}",
        actor=actor,
        lines=[Line(AccountCode.OWNER_PAYABLE, debit=amount, owner_id=owner_id), Line(AccountCode.BANK, credit=amount)],
    )
    audit_create(actor=actor, instance=payout, company_id=company_id)
    return payout


PAYOUT_MOVES = {
    PayoutStatus.PENDING: {PayoutStatus.PROCESSING, PayoutStatus.PAID, PayoutStatus.FAILED},
    PayoutStatus.PROCESSING: {PayoutStatus.PAID, PayoutStatus.FAILED},
}


@transaction.atomic
def payout_set_status(*, actor: Any, payout: Payout, status: str, reference: str = "") -> Payout:
    """Move a payout on; a failed payout's posting is reversed so the money is back in the balance."""
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if not is_company_staff(actor, payout.company_id):
        raise PermissionDenied("Only the company's staff update payouts.")
    if status not in PAYOUT_MOVES.get(payout.status, set()):
        raise Conflict(f"A {payout.status} payout cannot become {status}.")
    before = audit_snapshot(payout)
    payout.status = status
    if reference:
        payout.reference = reference
    payout.save(update_fields=["status", "reference", "updated_at"])
    if status == PayoutStatus.FAILED:
        original = LedgerTransaction.objects.get(kind="payout", reference_id=payout.id)
        ledger_reverse(original=original, kind="payout_failed", memo="Payout failed", actor=actor)
    audit_update(actor=actor, instance=payout, before=before, company_id=payout.company_id)
    return payout


@transaction.atomic
def owner_expense_create(
    *,
    actor: Any,
    company_id: UUID,
    owner_id: UUID,
    amount: Decimal,
    description: str,
    incurred_on: date | None = None,
    listing_id: UUID | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> OwnerExpense:
    """Record a cost paid for an owner: Dr owner payable (the owner's balance falls), Cr bank."""
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff record owner expenses.")
    expense = OwnerExpense.objects.create(
        company_id=company_id,
        owner_id=owner_id,
        listing_id=listing_id,
        amount=quantize(amount),
        currency=currency,
        description=description,
        incurred_on=incurred_on or timezone.localdate(),
        created_by=actor,
    )
    ledger_post(
        company_id=company_id,
        kind="expense",
        reference_type="owner_expense",
        reference_id=expense.id,
        currency=currency,
        memo=f"Expense: {description}",
        actor=actor,
        lines=[
            Line(AccountCode.OWNER_PAYABLE, debit=expense.amount, owner_id=owner_id),
            Line(AccountCode.BANK, credit=expense.amount),
        ],
    )
    audit_create(actor=actor, instance=expense, company_id=company_id)
    return expense


@transaction.atomic
def payment_refund(*, actor: Any, payment: Payment, reason: str) -> Payment:
    """Refund a paid payment: its posting is reversed and the invoice re-opened by what it had applied."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if not is_company_staff(actor, payment.company_id):
        raise PermissionDenied("Only the company's staff refund payments.")
    if payment.status != PaymentStatus.PAID:
        raise Conflict("Only a paid payment can be refunded.")
    before = audit_snapshot(payment)
    original = LedgerTransaction.objects.get(kind="payment", reference_id=payment.id)
    ledger_reverse(original=original, kind="refund", memo=f"Refund: {reason}"[:255], actor=actor)
    if payment.invoice_id and payment.amount_applied:
        invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        invoice.amount_paid -= payment.amount_applied
        if invoice.amount_paid > 0:
            invoice.status = InvoiceStatus.PARTIALLY_PAID
        elif invoice.late_fee_applied:
            invoice.status = InvoiceStatus.OVERDUE
        else:
            invoice.status = InvoiceStatus.SENT
        invoice.save(update_fields=["amount_paid", "status", "updated_at"])
    payment.status = PaymentStatus.REFUNDED
    payment.result_desc = f"Refunded: {reason}"[:255]
    payment.save(update_fields=["status", "result_desc", "updated_at"])
    audit_update(actor=actor, instance=payment, before=before, action="refund", company_id=payment.company_id)
    return payment
