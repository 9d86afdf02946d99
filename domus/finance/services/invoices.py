"""Invoices: numbering, drafts, sending, voiding, the rent-invoice and late-fee jobs."""

import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from domus.accounts.selectors import user_postal_lines, users_postal_lines
from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import event_payload, publish
from domus.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from domus.core.money import DEFAULT_CURRENCY, MAX_MONEY, money_str, quantize
from domus.core.policies import is_admin
from domus.finance.models import (
    OPEN_INVOICE_STATUSES,
    AccountCode,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    LedgerTransaction,
    LineKind,
    PaymentStatus,
)
from domus.finance.services.common import ZERO, _company_listing_id
from domus.finance.services.ledger import Line, Posting, ledger_post, ledger_post_many, ledger_reverse
from domus.integrations.pdf import PdfTable, format_amount, render_pdf
from domus.leasing import selectors as leasing_selectors
from domus.leasing import services as leasing_services
from domus.organizations.selectors import (
    COMPANY_STAFF_ROLES,
    company_letterhead,
    company_letterheads,
    company_require_active,
    company_require_related,
    default_company_id,
    is_company_staff,
    staff_company_ids,
)

logger = logging.getLogger(__name__)

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
    for index, data in enumerate(lines):
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
        if line.amount + line.tax_amount > MAX_MONEY:
            raise ValidationFailed(
                "A line amount is too large.",
                errors={
                    f"lines.{index}.unit_price": [f"quantity x unit_price (with tax) must not exceed {MAX_MONEY}."]
                },
            )
        built.append(line)
    return built


def _set_totals(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    subtotal = quantize(sum((line.amount for line in lines), ZERO))
    tax_total = quantize(sum((line.tax_amount for line in lines), ZERO))
    if subtotal + tax_total > MAX_MONEY:
        raise ValidationFailed(
            "The invoice total is too large.", errors={"lines": [f"The total must not exceed {MAX_MONEY}."]}
        )
    invoice.subtotal, invoice.tax_total, invoice.total = subtotal, tax_total, subtotal + tax_total


@transaction.atomic
def invoice_create(
    *,
    actor: Any,
    company_id: UUID | None,
    recipient: Any,
    lines: list[dict[str, Any]],
    due_date: date,
    issue_date: date | None = None,
    currency: str | None = None,
    listing_id: UUID | None = None,
    notes: str = "",
    issue: bool = False,
) -> Invoice:
    """A draft invoice with its lines and totals, numbered in the company's gapless
    sequence. Without ``company_id``: the company the actor is the only staff of. With
    ``issue``, it is issued and sent at once, in the same transaction (``invoice_send``)."""
    company_id = company_id or default_company_id(actor, COMPANY_STAFF_ROLES)
    if company_id is None and (is_admin(actor) or staff_company_ids(actor)):
        raise ValidationFailed("Which company?", errors={"company_id": ["Required: name one of your companies."]})
    if company_id is None or not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff can create invoices.")
    company_require_active(company_id, doing="invoice anyone")
    company_require_related(company_id, recipient.pk, field="recipient_id", doing="invoice them")
    issue_date = issue_date or timezone.localdate()
    if due_date < issue_date:
        raise ValidationFailed("The due date is before the issue date.", errors={"due_date": ["Before issue_date."]})
    listing_id = _company_listing_id(actor=actor, company_id=company_id, listing_id=listing_id)
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
    if issue:
        return invoice_send(actor=actor, invoice=invoice)
    return invoice


@transaction.atomic
def invoice_update(
    *, actor: Any, invoice: Invoice, lines: list[dict[str, Any]] | None = None, **fields: Any
) -> Invoice:
    """Edit a draft invoice (due date, notes, recipient, lines)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict("Only draft invoices can be edited.")
    if fields.get("recipient") is not None and fields["recipient"].pk != invoice.recipient_id:
        company_require_related(invoice.company_id, fields["recipient"].pk, field="recipient_id", doing="invoice them")
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


def invoice_pdf(invoice: Invoice, *, issuer: list[str] | None = None, recipient: list[str] | None = None) -> bytes:
    """The invoice as a PDF document: the issuing company's letterhead, the recipient's
    name and address (read here unless a batch passes them), amounts with grouped
    thousands and their currency."""
    currency = invoice.currency
    rows = [
        [
            line.description,
            f"{line.quantity}",
            format_amount(line.unit_price),
            format_amount(line.tax_amount),
            format_amount(line.amount),
        ]
        for line in invoice.lines.all()
    ]
    return render_pdf(
        title=f"Invoice {invoice.display_number}",
        issuer=company_letterhead(invoice.company_id) if issuer is None else issuer,
        recipient=user_postal_lines(invoice.recipient_id) if recipient is None else recipient,
        recipient_label="Bill to",
        fields=[
            ("Issued", invoice.issue_date.isoformat()),
            ("Due", invoice.due_date.isoformat()),
            ("Subtotal", format_amount(invoice.subtotal, currency)),
            ("Tax", format_amount(invoice.tax_total, currency)),
            ("Total", format_amount(invoice.total, currency)),
            ("Paid", format_amount(invoice.amount_paid, currency)),
            ("Balance due", format_amount(invoice.balance_due, currency)),
        ],
        table=PdfTable(["Description", "Qty", f"Unit price ({currency})", "Tax", "Amount"], rows, (4, 1, 2, 1.5, 2)),
        paragraphs=[invoice.notes] if invoice.notes else [],
        footer="Pay with M-Pesa from your Domus account.",
    )


def invoice_deliver(*, invoice_id: UUID) -> None:
    """E-mail the invoice PDF to its recipient (runs after the issuing transaction commits)."""
    _email(Invoice.objects.select_related("recipient").get(pk=invoice_id))


def _email(invoice: Invoice, *, issuer: list[str] | None = None, recipient: list[str] | None = None) -> None:
    if not invoice.recipient.email:
        return
    message = EmailMessage(
        subject=f"Invoice {invoice.display_number}: {invoice.total} {invoice.currency} due {invoice.due_date}",
        body=f"Please find invoice {invoice.display_number} attached. Amount due: {invoice.balance_due} "
        f"{invoice.currency}, by {invoice.due_date}.",
        to=[invoice.recipient.email],
    )
    document = invoice_pdf(invoice, issuer=issuer, recipient=recipient)
    message.attach(f"{invoice.display_number}.pdf", document, "application/pdf")
    message.send(fail_silently=False)


def _announce_sent(invoice: Invoice, actor: Any) -> None:
    def queue() -> None:
        from domus.finance.tasks import invoice_email

        invoice_email.delay(str(invoice.id))

    transaction.on_commit(queue, robust=True)
    publish(
        "invoice.sent",
        event_payload(invoice, actor=actor, recipients=[invoice.recipient_id], number=invoice.display_number),
    )


@transaction.atomic
def invoice_send(*, actor: Any, invoice: Invoice) -> Invoice:
    """Issue a draft (posting it to the ledger) or resend an open invoice: the PDF is e-mailed
    and the recipient notified in the app."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.PAID):
        raise Conflict(f"A {invoice.status} invoice cannot be sent.")
    company_require_active(invoice.company_id, doing="send invoices")
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
    if invoice.payments.filter(status=PaymentStatus.PENDING).exists():
        # Money may still arrive for it; wait for the callback (or the reconciliation job).
        raise Conflict("An M-Pesa payment for this invoice is still pending; void it once that payment has settled.")
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
    """Publish ``invoice.sent`` and e-mail the PDF of each (job-issued) invoice: the
    invoices with their recipients, their lines, the companies' letterheads and the
    recipients' addresses read in four queries for the whole batch."""
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).select_related("recipient").prefetch_related("lines"))
    letterheads = company_letterheads(invoice.company_id for invoice in invoices)
    addresses = users_postal_lines(invoice.recipient_id for invoice in invoices)
    for invoice in invoices:
        publish(
            "invoice.sent",
            event_payload(invoice, actor=None, recipients=[invoice.recipient_id], number=invoice.display_number),
        )
        _email(
            invoice, issuer=letterheads.get(invoice.company_id, []), recipient=addresses.get(invoice.recipient_id, [])
        )


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
    if invoice.late_fee_applied or invoice.status not in OPEN_INVOICE_STATUSES:
        return False
    grace_days = lease.grace_days if lease is not None else 0
    if invoice.due_date + timedelta(days=grace_days) >= today:
        return False
    # Only a lease carries a late-fee rule; any other invoice just becomes overdue.
    fee = leasing_services.late_fee_for(lease, invoice.subtotal) if lease is not None else ZERO
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
            "late_fee": money_str(fee),
            "currency": invoice.currency,
        },
    )
    return True


def late_fees_apply(*, today: date | None = None) -> int:
    """The beat job: every issued invoice past its due date (+ the lease's grace days) becomes
    overdue once, and a lease invoice gets its late fee (``late_fee_applied`` records that the
    invoice was processed). One invoice failing is logged and the run goes on. Answers how many
    invoices it changed."""
    today = today or timezone.localdate()
    candidates = Invoice.objects.filter(
        status__in=OPEN_INVOICE_STATUSES, late_fee_applied=False, due_date__lt=today
    ).values_list("id", flat=True)
    changed = 0
    for invoice_id in list(candidates):
        try:
            changed += _late_fee_one(invoice_id, today)
        except Exception:
            logger.exception("late fee / overdue failed for invoice %s", invoice_id)
    return changed
