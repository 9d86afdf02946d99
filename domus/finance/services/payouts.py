"""Owner payouts, owner expenses and refunds."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, PermissionDenied
from domus.core.money import currency_of, quantize
from domus.finance.models import (
    Account,
    AccountCode,
    Invoice,
    InvoiceStatus,
    LedgerTransaction,
    OwnerExpense,
    Payment,
    PaymentStatus,
    Payout,
    PayoutStatus,
)
from domus.finance.selectors import home_currency, owner_balance
from domus.finance.services.common import _company_listing
from domus.finance.services.ledger import Line, accounts_for, ledger_post, ledger_reverse
from domus.organizations.selectors import is_company_staff

# Payouts -------------------------------------------------------------------------------


@transaction.atomic
def payout_create(
    *, actor: Any, company_id: UUID, owner_id: UUID, amount: Decimal, note: str = "", currency: str | None = None
) -> Payout:
    """Pay an owner out of their balance in the company's currency (any other currency is a 400
    naming ``currency``). The company's owner-payable account row is locked so two racing payouts
    can never together exceed the balance, which counts that currency only."""
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff make payouts.")
    currency = currency_of(currency, home_currency(company_id), whose="the company's")
    amount = quantize(amount)
    account = accounts_for(company_id)[AccountCode.OWNER_PAYABLE]
    Account.objects.select_for_update().get(pk=account.pk)
    balance = owner_balance(company_id=company_id, owner_id=owner_id, currency=currency)
    if amount > balance:
        raise Conflict(f"The owner's balance is {balance} {currency}; a payout of {amount} is more than that.")
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
    currency: str | None = None,
) -> OwnerExpense:
    """Record a cost paid for an owner: Dr owner payable (the owner's balance in that currency
    falls), Cr bank. It is in the listing's currency, or the company's without a listing; any
    other currency is a 400 naming ``currency``."""
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff record owner expenses.")
    listing = _company_listing(actor=actor, company_id=company_id, listing_id=listing_id)
    if listing is not None:
        currency = currency_of(currency, listing.currency, whose="the listing's")
    else:
        currency = currency_of(currency, home_currency(company_id), whose="the company's")
    expense = OwnerExpense.objects.create(
        company_id=company_id,
        owner_id=owner_id,
        listing_id=listing.id if listing is not None else None,
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
