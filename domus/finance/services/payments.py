"""Payments: M-Pesa STK pushes and callbacks, the reconciliation job, retries, manual payments,
proofs, edits and cancellation; a paid payment is applied and posted in one transaction."""

import hmac
import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import event_payload, publish
from domus.core.exceptions import Conflict, PermissionDenied, ServiceUnavailable, ValidationFailed
from domus.core.images import image_check
from domus.core.money import MAX_MONEY, money_str, quantize
from domus.core.policies import is_admin
from domus.finance.models import (
    OPEN_INVOICE_STATUSES,
    RETRYABLE_STATUSES,
    AccountCode,
    CallbackReview,
    Invoice,
    InvoiceStatus,
    LedgerTransaction,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    ReviewReason,
)
from domus.finance.policies import can_pay_invoice
from domus.finance.services.common import ZERO
from domus.finance.services.ledger import (
    Line,
    ledger_post,
)
from domus.integrations import mpesa
from domus.organizations.selectors import company_require_active, is_company_staff, platform_default_company_id
from domus.properties import selectors as property_selectors

logger = logging.getLogger(__name__)
# Accepted proof types and the file signatures (magic bytes) each must start with.
PROOF_CONTENT_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}

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


def _invoice_for_update(invoice_id: UUID) -> Invoice:
    """The invoice, row-locked until the transaction ends. Every path that puts money on an
    invoice (M-Pesa callback, reconciliation job, manual payment) takes this lock before it reads
    the invoice's status or balance, and after the payment's own row where it locks one: the
    lock order is payment, then invoice (as in refunds), so two paths never deadlock."""
    return Invoice.objects.select_for_update(of=("self",)).select_related("lease").get(pk=invoice_id)


def _require_open(invoice: Invoice) -> None:
    if invoice.status not in OPEN_INVOICE_STATUSES:
        raise Conflict(f"A {invoice.status} invoice cannot be paid.")


def _apply(payment: Payment, actor: Any = None) -> None:
    """Apply a paid payment to its invoice (partial allowed, overpayment held as credit) and
    post it, inside the caller's transaction. The amount posted is what was received
    (``amount_received`` when M-Pesa reported it, else ``amount``). Money for an invoice that is
    no longer open (void, already paid, draft) is held whole as the payer's credit and a review is
    opened: a void invoice never becomes paid."""
    amount = quantize(payment.amount_received if payment.amount_received is not None else payment.amount)
    lines = [Line(_clearing_account(payment.method), debit=amount)]
    applied = ZERO
    if payment.invoice_id:
        invoice = _invoice_for_update(payment.invoice_id)
        if invoice.status in OPEN_INVOICE_STATUSES:
            applied = min(amount, quantize(invoice.balance_due))
        else:
            _review(
                ReviewReason.INVOICE_NOT_OPEN,
                body={"invoice_id": str(invoice.id), "invoice_status": invoice.status, "amount": str(amount)},
                checkout_id=payment.checkout_request_id or "",
                payment=payment,
            )
        if applied:
            invoice.amount_paid += applied
            if invoice.amount_paid >= invoice.total:
                invoice.status = InvoiceStatus.PAID
            elif invoice.amount_paid > 0:
                invoice.status = InvoiceStatus.PARTIALLY_PAID
            invoice.save(update_fields=["amount_paid", "status", "updated_at"])
            lines.append(Line(AccountCode.RECEIVABLES, credit=applied))
            # Earned part: the applied amount without its share of tax goes to the owner less the
            # fee; the tax part stays in tax_payable until remitted.
            earned = quantize(applied * invoice.subtotal / invoice.total) if invoice.total else ZERO
            lease = invoice.lease
            if earned:
                lines.append(Line(AccountCode.RENT_BILLED, debit=earned))
                if lease is not None:
                    fee = quantize(earned * lease.management_fee_percent / 100)
                    lines.append(Line(AccountCode.OWNER_PAYABLE, credit=earned - fee, owner_id=lease.owner_id))
                    lines.append(Line(AccountCode.FEE_REVENUE, credit=fee))
                else:
                    lines.append(Line(AccountCode.FEE_REVENUE, credit=earned))
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
    payload = event_payload(
        payment,
        actor=actor,
        recipients=[payment.payer_id],
        amount=money_str(payment.amount),
        currency=payment.currency,
        status=payment.status,
    )
    publish("payment.received" if payment.status == PaymentStatus.PAID else "payment.failed", payload)


def _target(*, actor: Any, invoice_id: UUID | None, listing_id: UUID | None) -> tuple[Invoice | None, Any]:
    if invoice_id is not None:
        from domus.finance.selectors import invoice_get_for_actor

        invoice = invoice_get_for_actor(actor=actor, invoice_id=invoice_id)
        _require_open(invoice)
        if not can_pay_invoice(actor, invoice):
            raise PermissionDenied("Only the invoice's recipient or company staff can pay it.")
        return invoice, None
    if listing_id is None:
        raise ValidationFailed("Say what is paid.", errors={"invoice_id": ["invoice_id or a listing is required."]})
    listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    _collecting_company_id(listing)  # a listing nobody can collect for is a 400 before anything is stored
    return None, listing


def _collecting_company_id(listing: Any) -> UUID:
    """The company that collects a payment for a listing: its managing company, else (a
    listing its owner put up without a company) the platform's default company
    (``DEFAULT_COMPANY_SLUG``, else the only active company), whose M-Pesa account Domus
    uses anyway. A 400 only when there is neither."""
    company_id = listing.company_id or platform_default_company_id()
    if company_id is None:
        raise ValidationFailed(
            "No company collects payments for this listing.",
            errors={"listing_id": ["The listing has no company and the platform no default company."]},
        )
    return company_id


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
        # No push reached the phone, so no money can arrive: the attempt simply failed.
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED, result_desc=str(error)[:255])
        raise ServiceUnavailable("M-Pesa is not answering; try again shortly.") from error
    payment.merchant_request_id = result.merchant_request_id
    payment.checkout_request_id = result.checkout_request_id
    payment.result_desc = (result.customer_message or result.response_description)[:255]
    payment.save(update_fields=["merchant_request_id", "checkout_request_id", "result_desc", "updated_at"])
    return payment


def stk_amount(amount: Decimal) -> Decimal:
    """What an STK push charges: whole shillings, rounded up (Daraja takes no cents). The payment
    records this amount, so what is posted is what the phone paid; any excess over the invoice's
    balance is held as the payer's credit."""
    return quantize(mpesa.whole_shillings(amount))


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
    listing (deposit, booking fee or rent; amount required). The amount is rounded up to whole
    shillings (``stk_amount``). The pending payment is committed before Daraja is called so the
    callback always finds it."""
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
        company_id, currency = _collecting_company_id(listing), listing.currency
    company_require_active(company_id, doing="take payments")
    if quantize(amount) < 1:
        raise ValidationFailed("Nothing to pay.", errors={"amount": ["At least 1."]})
    amount = stk_amount(amount)
    if amount > MAX_MONEY:
        raise ValidationFailed("The amount is too large.", errors={"amount": [f"At most {MAX_MONEY}."]})
    with transaction.atomic():
        payment = Payment.objects.create(
            company_id=company_id,
            invoice=invoice,
            listing_id=listing.id if listing is not None else (invoice.listing_id if invoice else None),
            payer=actor,
            purpose=purpose,
            method=PaymentMethod.MPESA,
            amount=amount,
            currency=currency,
            phone=msisdn,
        )
        audit_create(actor=actor, instance=payment, company_id=company_id)
    return _stk_push(payment)


LIVE_RETRY_STATUSES = (PaymentStatus.PENDING, PaymentStatus.PAID)


def payment_retry(*, actor: Any, payment: Payment) -> Payment:
    """Admin: a new STK attempt for a failed or expired M-Pesa payment; the old one is kept.
    The original is locked while the retry is created, and a second retry is refused while one
    is pending or paid, so two admins cannot start two pushes."""
    if not is_admin(actor):
        raise PermissionDenied("Only admins retry payments.")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.method != PaymentMethod.MPESA or payment.status not in RETRYABLE_STATUSES:
            raise Conflict("Only a failed, cancelled, timed-out or expired M-Pesa payment can be retried.")
        if payment.retries.filter(status__in=LIVE_RETRY_STATUSES).exists():
            raise Conflict("A retry of this payment is already pending or paid.")
        if payment.invoice_id and payment.invoice.status not in OPEN_INVOICE_STATUSES:
            raise Conflict("The invoice is no longer open.")
        company_require_active(payment.company_id, doing="take payments")
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
    notes: str = "",
) -> Payment:
    """Staff record a cash, bank-transfer or cheque payment; it is applied and posted at once.
    The invoice is locked before its open status is checked (409 once it is paid or void)."""
    if method == PaymentMethod.MPESA:
        raise ValidationFailed(
            "M-Pesa payments come from M-Pesa.", errors={"method": ["cash, bank_transfer or cheque."]}
        )
    invoice, listing = _target(actor=actor, invoice_id=invoice_id, listing_id=listing_id)
    company_id = invoice.company_id if invoice else _collecting_company_id(listing)
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff record manual payments.")
    company_require_active(company_id, doing="take payments")
    if invoice is None and purpose == PaymentPurpose.INVOICE:
        raise ValidationFailed("Say what is paid.", errors={"purpose": ["deposit, booking_fee or rent."]})
    if invoice is not None:
        # Checked again under the row lock: of two cash payments of one invoice submitted at once,
        # the second waits here and then finds the invoice paid (409), as it would one after the other.
        invoice = _invoice_for_update(invoice.id)
        _require_open(invoice)
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
        notes=notes,
        status=PaymentStatus.PAID,
        paid_at=paid_at or timezone.now(),
        recorded_by=actor,
    )
    _apply(payment, actor)
    audit_create(actor=actor, instance=payment, company_id=company_id)
    _announce_payment(payment, actor)
    return payment


PAYMENT_EDITABLE_FIELDS = ("reference", "notes")


@transaction.atomic
def payment_update(*, actor: Any, payment: Payment, **fields: Any) -> Payment:
    """Admin: correct a payment's descriptive fields (reference, notes). Amount and status never
    change this way: money moves only through the payment services."""
    if not is_admin(actor):
        raise PermissionDenied("Only admins edit payments.")
    refused = sorted(set(fields) - set(PAYMENT_EDITABLE_FIELDS))
    if refused:
        raise ValidationFailed(
            "Only reference and notes can be edited.",
            errors={
                name: ["Not editable; money moves only through payments, refunds and retries."] for name in refused
            },
        )
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    before = audit_snapshot(payment)
    changed = [name for name, value in fields.items() if value is not None and getattr(payment, name) != value]
    for name in changed:
        setattr(payment, name, fields[name])
    if changed:
        payment.save(update_fields=[*changed, "updated_at"])
        audit_update(actor=actor, instance=payment, before=before, company_id=payment.company_id)
    return payment


@transaction.atomic
def payment_cancel(*, actor: Any, payment: Payment) -> Payment:
    """Cancel a pending manual payment that moved no money. Anything that moved money (paid,
    refunded) or may still move it (a pending M-Pesa push) is a conflict; cancelling twice is fine."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if not is_company_staff(actor, payment.company_id):
        raise PermissionDenied("Only the company's staff cancel payments.")
    if payment.status == PaymentStatus.CANCELLED:
        return payment
    if (
        payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
        or LedgerTransaction.objects.filter(reference_id=payment.id).exists()
    ):
        raise Conflict("This payment moved money; refund it instead of cancelling it.")
    if payment.status != PaymentStatus.PENDING:
        raise Conflict(f"A {payment.status} payment is already closed; there is nothing to cancel.")
    if payment.method == PaymentMethod.MPESA:
        raise Conflict("An M-Pesa push is in flight and money may still arrive; wait for its outcome.")
    before = audit_snapshot(payment)
    payment.status = PaymentStatus.CANCELLED
    payment.result_desc = "Cancelled by staff."
    payment.save(update_fields=["status", "result_desc", "updated_at"])
    audit_update(actor=actor, instance=payment, before=before, action="cancel", company_id=payment.company_id)
    return payment


def _check_proof(upload: Any) -> None:
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if content_type not in PROOF_CONTENT_TYPES:
        raise ValidationFailed(
            "A proof must be a PDF, JPEG, PNG or WebP file.", errors={"file": [f"{content_type or 'unknown'} refused."]}
        )
    size = getattr(upload, "size", None) or 0
    if size > settings.FINANCE_PROOF_MAX_BYTES:
        raise ValidationFailed(
            "The proof is too large.", errors={"file": [f"At most {settings.FINANCE_PROOF_MAX_BYTES} bytes."]}
        )
    if size == 0:
        raise ValidationFailed("The proof is empty.", errors={"file": ["Empty file."]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    magic_ok = any(head.startswith(magic) for magic in PROOF_CONTENT_TYPES[content_type])
    if content_type == "image/webp":
        magic_ok = magic_ok and head[8:12] == b"WEBP"
    if not magic_ok:
        raise ValidationFailed("The file is not what it claims to be.", errors={"file": [f"Not a {content_type}."]})
    if content_type.startswith("image/"):
        image_check(upload)


@transaction.atomic
def payment_attach_proof(*, actor: Any, payment: Payment, upload: Any) -> Payment:
    """Attach the proof (receipt scan, bank slip) of a manual payment: PDF, JPEG, PNG or WebP up
    to FINANCE_PROOF_MAX_BYTES. It is served only through the payment's proof endpoint."""
    if not is_company_staff(actor, payment.company_id):
        raise PermissionDenied("Only the company's staff attach proofs.")
    if payment.method == PaymentMethod.MPESA:
        raise Conflict("M-Pesa payments carry their M-Pesa receipt.")
    _check_proof(upload)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    before = audit_snapshot(payment)
    payment.proof.save(upload.name, upload, save=True)
    audit_update(actor=actor, instance=payment, before=before, company_id=payment.company_id)
    return payment


def _json_safe(body: Any) -> dict[str, Any]:
    """``body`` if it is a dict that stores as strict JSON (no NaN or Infinity), else {}."""
    if not isinstance(body, dict):
        return {}
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError):
        return {}
    return body


def _review(
    reason: str,
    *,
    body: Any,
    raw: str = "",
    checkout_id: str = "",
    payment: Payment | None = None,
    remote_addr: str = "",
) -> CallbackReview:
    review = CallbackReview.objects.create(
        reason=reason,
        payment=payment,
        checkout_request_id=str(checkout_id)[:100],
        payload=_json_safe(body),
        raw_body=raw[:20000],
        remote_addr=remote_addr[:45],
    )
    logger.warning("mpesa money held for review: %s %s", reason, checkout_id)
    return review


RECEIPT_MAX_LENGTH = Payment._meta.get_field("mpesa_receipt").max_length
RESULT_CODE_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class StkCallback:
    """A parsed ``Body.stkCallback``. For a success, ``amount`` and ``receipt`` are present."""

    checkout_id: str
    code: int
    desc: str
    amount: Decimal | None = None
    receipt: str | None = None
    paid_at: datetime | None = None
    phone: str = ""


def _result_code(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("ResultCode is not an integer")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("ResultCode is not an integer")
        value = int(value)
    if isinstance(value, str):
        value = int(value.strip())
    if not isinstance(value, int) or abs(value) > RESULT_CODE_LIMIT:
        raise ValueError("ResultCode is not an integer in range")
    return value


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("Amount is not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError("Amount is not a number") from error
    if not amount.is_finite() or amount <= 0 or amount > MAX_MONEY:
        raise ValueError("Amount is not a positive finite number in range")
    return quantize(amount)


def _transaction_date(value: Any) -> datetime | None:
    """Daraja's TransactionDate (YYYYMMDDHHmmss, Nairobi time) as an aware datetime; None if unreadable."""
    text = str(value or "").strip()
    if not re.fullmatch(r"\d{14}", text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=mpesa.NAIROBI)
    except ValueError:
        return None


def parse_stk_callback(raw: str) -> StkCallback:
    """Parse a Daraja STK callback. Raises ValueError for anything malformed, including a success
    (ResultCode 0) without CallbackMetadata, Amount or MpesaReceiptNumber."""
    body = json.loads(raw)
    if not isinstance(body, dict) or not isinstance(body.get("Body"), dict):
        raise ValueError("no Body")
    callback = body["Body"].get("stkCallback")
    if not isinstance(callback, dict):
        raise ValueError("no Body.stkCallback object")
    checkout_id = callback.get("CheckoutRequestID")
    if not isinstance(checkout_id, str) or not checkout_id or len(checkout_id) > 100:
        raise ValueError("CheckoutRequestID missing or not a short string")
    code = _result_code(callback.get("ResultCode"))
    desc = str(callback.get("ResultDesc", ""))[:255]
    if code != 0:
        return StkCallback(checkout_id=checkout_id, code=code, desc=desc)
    metadata = callback.get("CallbackMetadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("Item"), list):
        raise ValueError("a success without CallbackMetadata.Item")
    meta = {
        item["Name"]: item.get("Value")
        for item in metadata["Item"]
        if isinstance(item, dict) and isinstance(item.get("Name"), str)
    }
    if "Amount" not in meta or "MpesaReceiptNumber" not in meta:
        raise ValueError("a success without Amount or MpesaReceiptNumber")
    receipt = meta["MpesaReceiptNumber"]
    if not isinstance(receipt, str | int) or isinstance(receipt, bool):
        raise ValueError("MpesaReceiptNumber is not a string")
    receipt = str(receipt).strip()
    if not receipt or len(receipt) > RECEIPT_MAX_LENGTH:
        raise ValueError(f"MpesaReceiptNumber is empty or longer than {RECEIPT_MAX_LENGTH}")
    phone = meta.get("PhoneNumber")
    phone = str(phone) if isinstance(phone, int | str) and not isinstance(phone, bool) else ""
    return StkCallback(
        checkout_id=checkout_id,
        code=code,
        desc=desc,
        amount=_amount(meta["Amount"]),
        receipt=receipt,
        paid_at=_transaction_date(meta.get("TransactionDate")),
        phone=phone if re.fullmatch(r"\d{9,15}", phone) else "",
    )


def _settle(payment_id: UUID, result: StkCallback, *, body: Any, raw: str, remote_addr: str) -> bool:
    """Give a pending M-Pesa payment its outcome, once. Answers whether anything changed.

    A success for a payment that is no longer pending (expired, failed) is not dropped: real money
    arrived, so it is held for review (once per payment). A success for another amount than the
    one pushed is held for review and the payment fails: nothing is marked paid."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.PENDING:
            late = result.code == 0 and payment.status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
            reviewed = (ReviewReason.LATE_SUCCESS, ReviewReason.AMOUNT_MISMATCH)
            if late and not payment.reviews.filter(reason__in=reviewed).exists():
                _review(
                    ReviewReason.LATE_SUCCESS,
                    body=body,
                    raw=raw,
                    checkout_id=result.checkout_id,
                    payment=payment,
                    remote_addr=remote_addr,
                )
                return True
            return False  # duplicate or late callback: already settled
        status = status_for_result(result.code)
        payment.result_code = result.code
        payment.result_desc = result.desc[:255]
        fields = ["status", "result_code", "result_desc", "updated_at"]
        if status == PaymentStatus.PAID:
            received = result.amount if result.amount is not None else payment.amount
            payment.amount_received = received
            payment.mpesa_phone = result.phone
            fields += ["amount_received", "mpesa_phone"]
            if received != stk_amount(payment.amount):
                payment.status = PaymentStatus.FAILED
                payment.result_desc = f"Amount mismatch: M-Pesa reported {received}; held for review."
                payment.save(update_fields=fields)
                _review(
                    ReviewReason.AMOUNT_MISMATCH,
                    body=body,
                    raw=raw,
                    checkout_id=result.checkout_id,
                    payment=payment,
                    remote_addr=remote_addr,
                )
                return True
            payment.mpesa_receipt = result.receipt
            payment.paid_at = result.paid_at or timezone.now()
            fields += ["mpesa_receipt", "paid_at"]
        payment.status = status
        payment.save(update_fields=fields)
        if status == PaymentStatus.PAID:
            _apply(payment)
        audit_record(
            actor=None,
            action=f"mpesa_{status}",
            resource_type="finance.payment",
            resource_id=payment.id,
            changes={"result_code": result.code, "receipt": payment.mpesa_receipt},
            company_id=payment.company_id,
        )
        _announce_payment(payment)
    return True


def callback_authenticated(token: str | None, remote_addr: str) -> bool:
    """The callback proves where it comes from: its path token matches MPESA_CALLBACK_TOKEN
    and/or its address is in MPESA_CALLBACK_ALLOWED_IPS, whichever are configured. With neither
    configured nothing is accepted (the embedded default always has its own token, and a
    production process with Daraja credentials and neither refuses to start)."""
    expected = settings.MPESA_CALLBACK_TOKEN
    allowed = settings.MPESA_CALLBACK_ALLOWED_IPS
    if not expected and not allowed:
        return False
    if expected and not hmac.compare_digest((token or "").encode(), expected.encode()):
        return False
    return not allowed or remote_addr in allowed


def mpesa_callback_process(*, raw_body: bytes, remote_addr: str = "", token: str | None = None) -> None:
    """Handle one Daraja STK callback. Never raises for bad input: an unauthenticated callback
    (wrong or missing token, address not allowed) changes nothing and, like unknown checkout ids,
    malformed bodies, late successes and amount mismatches, is recorded for review; repeats
    change nothing."""
    raw = raw_body.decode("utf-8", "replace")
    if not callback_authenticated(token, remote_addr):
        _review(ReviewReason.FORBIDDEN_SOURCE, body={}, raw=raw, remote_addr=remote_addr)
        return
    try:
        body = json.loads(raw)
        result = parse_stk_callback(raw)
    except (ValueError, KeyError, TypeError, ArithmeticError, RecursionError) as error:
        checkout = ""
        try:
            checkout = str(json.loads(raw)["Body"]["stkCallback"]["CheckoutRequestID"])
        except Exception:
            checkout = ""
        _review(
            ReviewReason.MALFORMED,
            body={"error": str(error)[:500]},
            raw=raw,
            checkout_id=checkout,
            remote_addr=remote_addr,
        )
        return
    payment_id = Payment.objects.filter(checkout_request_id=result.checkout_id).values_list("id", flat=True).first()
    if payment_id is None:
        _review(
            ReviewReason.UNKNOWN_CHECKOUT, body=body, raw=raw, checkout_id=result.checkout_id, remote_addr=remote_addr
        )
        return
    try:
        _settle(payment_id, result, body=body, raw=raw, remote_addr=remote_addr)
    except (IntegrityError, DatabaseError) as error:
        # e.g. a receipt number already used by another payment: nothing was changed.
        logger.warning("mpesa callback for %s could not be stored: %s", result.checkout_id, error)
        _review(
            ReviewReason.MALFORMED,
            body=body,
            raw=raw,
            checkout_id=result.checkout_id,
            remote_addr=remote_addr,
        )


@transaction.atomic
def payment_expire(*, payment_id: UUID, reason: str = "No answer from M-Pesa.") -> bool:
    """A pending M-Pesa payment nobody will answer becomes expired (audited, ``payment.failed``
    published). Answers whether it changed."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != PaymentStatus.PENDING:
        return False
    payment.status = PaymentStatus.EXPIRED
    payment.result_desc = reason[:255]
    payment.save(update_fields=["status", "result_desc", "updated_at"])
    audit_record(
        actor=None,
        action="mpesa_expired",
        resource_type="finance.payment",
        resource_id=payment.id,
        changes={"status": PaymentStatus.EXPIRED, "reason": reason},
        company_id=payment.company_id,
    )
    _announce_payment(payment)
    return True


def mpesa_pending_query(*, now: datetime | None = None) -> int:
    """The beat job: ask Daraja about STK pushes still pending after a few minutes, so a lost
    callback does not leave a payment hanging; very old ones expire, and so do pending payments
    whose push never got a CheckoutRequestID. One payment failing (Daraja down or answering
    nonsense) is logged and the job goes on. Answers how many it settled."""
    now = now or timezone.now()
    settled = 0
    query_before = now - timedelta(seconds=settings.MPESA_PENDING_QUERY_AFTER)
    never_pushed = Payment.objects.filter(
        method=PaymentMethod.MPESA,
        status=PaymentStatus.PENDING,
        checkout_request_id__isnull=True,
        created_at__lte=query_before,
    ).values_list("id", flat=True)
    for payment_id in list(never_pushed[:500]):
        try:
            settled += payment_expire(payment_id=payment_id, reason="The STK push never reached M-Pesa.")
        except Exception:
            logger.exception("expiring payment %s failed", payment_id)
    pending = Payment.objects.filter(
        method=PaymentMethod.MPESA,
        status=PaymentStatus.PENDING,
        checkout_request_id__isnull=False,
        created_at__lte=query_before,
    ).values_list("id", "checkout_request_id", "created_at", "amount")
    client = mpesa.DarajaClient()
    for payment_id, checkout_id, created_at, amount in list(pending[:500]):
        try:
            result = client.stk_query(checkout_request_id=checkout_id)
            if result.pending:
                if created_at <= now - timedelta(seconds=settings.MPESA_PENDING_EXPIRE_AFTER):
                    settled += payment_expire(payment_id=payment_id)
                continue
            # The query answers no receipt or amount; a success is taken at the amount pushed.
            outcome = StkCallback(
                checkout_id=checkout_id,
                code=result.result_code,
                desc=result.result_desc,
                amount=stk_amount(amount) if result.result_code == 0 else None,
            )
            settled += _settle(payment_id, outcome, body={}, raw="", remote_addr="")
        except mpesa.MpesaError as error:
            logger.warning("mpesa query failed for %s: %s", checkout_id, error)
        except Exception:
            logger.exception("mpesa query of %s failed", checkout_id)
    return settled
