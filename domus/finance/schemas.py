"""Shapes of the finance API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AliasChoices

from domus.core.filtering import DateOrDateTime, ListFilters, ordering_of
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr
from domus.core.policies import is_admin
from domus.core.schemas import Input, body_alias
from domus.finance.models import (
    AccountCode,
    InvoiceStatus,
    LineKind,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    PayoutStatus,
)
from domus.organizations.selectors import staff_company_ids


class InvoiceFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "due_date", "number", "total")
    status: InvoiceStatus | None = None
    company_id: UUID | None = None
    recipient_id: UUID | None = None
    lease_id: UUID | None = None
    listing_id: UUID | None = None


class InvoiceLineIn(Input):
    """One line; the back office's items name the description ``name`` and the unit price ``price``."""

    kind: LineKind = LineKind.OTHER
    description: str = Field(..., min_length=1, max_length=255, validation_alias=AliasChoices("description", "name"))
    quantity: Decimal = Field(Decimal(1), gt=0, le=1_000_000, decimal_places=2)
    unit_price: Decimal = Field(
        ..., ge=0, le=MAX_MONEY, decimal_places=2, validation_alias=AliasChoices("unit_price", "price")
    )
    tax_rate: Decimal = Field(Decimal(0), ge=0, le=100, decimal_places=2)


def _one_line_invoice(body: dict[str, Any]) -> dict[str, Any]:
    """The real-estate management system's flat invoice (``amount``, ``description``)
    is an invoice of one line."""
    if "lines" not in body and ("amount" in body or "description" in body):
        line = {"description": body.pop("description", None), "unit_price": body.pop("amount", None)}
        body["lines"] = [{key: value for key, value in line.items() if value is not None}]
    return body


def _store_invoice(body: dict[str, Any]) -> dict[str, Any]:
    """The back office's invoice (``customer``, ``store``, ``items``) is issued on creation,
    due on issue unless it gives a ``due_date``."""
    if "items" in body and "lines" not in body:
        body["lines"] = body.pop("items")
        body.setdefault("issue", True)
        body.setdefault("due_date", body.get("issue_date") or timezone.localdate().isoformat())
    return body


class InvoiceIn(Input):
    """An invoice; the flat body ``{tenant, amount, due_date, description}`` of the
    real-estate management system's clients is accepted as an invoice of one line, and the
    back office's ``{customer, store, items}`` as an invoice of the store's company, issued
    at once."""

    company_id: UUID | None = Field(None, description="Default: the company you are the only staff of.")
    store_id: UUID | None = Field(
        None,
        validation_alias=AliasChoices("store_id", "store"),
        description="A branch (the back office's store): the invoice is its company's.",
    )
    recipient_id: UUID = Field(..., validation_alias=AliasChoices("recipient_id", "tenant", "customer"))
    listing_id: UUID | None = None
    currency: CurrencyCode | None = None
    issue_date: date | None = None
    due_date: date
    notes: str = Field("", max_length=5000)
    lines: list[InvoiceLineIn] = Field(..., min_length=1, max_length=100)
    issue: bool = Field(
        False, description="Issue at once, as `send/` does (the back office's `items` body implies it)."
    )

    one_line = body_alias(
        _one_line_invoice,
        accepts={
            "amount": {"type": "string", "description": "With description: an invoice of one line."},
            "description": {"type": "string", "maxLength": 255, "description": "The one line's description."},
        },
        replaces=("lines",),
    )
    store_items = body_alias(
        _store_invoice,
        accepts={
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/InvoiceLineIn"},
                "description": "The lines; the invoice is issued at once, due on issue unless due_date is given.",
            }
        },
        replaces=("lines", "due_date"),
    )


class InvoicePatchIn(Input):
    recipient_id: UUID | None = None
    currency: CurrencyCode | None = None
    issue_date: date | None = None
    due_date: date | None = None
    notes: str | None = Field(None, max_length=5000)
    lines: list[InvoiceLineIn] | None = Field(None, min_length=1, max_length=100)


class VoidIn(Input):
    reason: str = Field("", max_length=255)


class InvoiceLineOut(Schema):
    kind: str
    description: str
    quantity: Decimal
    unit_price: MoneyStr
    tax_rate: Decimal
    amount: MoneyStr
    tax_amount: MoneyStr


class InvoiceOut(Schema):
    id: UUID
    company_id: UUID
    number: str = Field(..., alias="display_number")
    recipient_id: UUID
    lease_id: UUID | None
    period_start: date | None
    listing_id: UUID | None
    currency: str
    issue_date: date
    due_date: date
    status: str
    subtotal: MoneyStr
    tax_total: MoneyStr
    total: MoneyStr
    amount_paid: MoneyStr
    balance_due: MoneyStr
    notes: str
    sent_at: datetime | None
    voided_at: datetime | None
    void_reason: str
    lines: list[InvoiceLineOut]
    created_at: datetime


class PaymentFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "amount", "status", "paid_at")
    status: PaymentStatus | None = None
    method: PaymentMethod | None = None
    purpose: PaymentPurpose | None = None
    company_id: UUID | None = None
    invoice_id: UUID | None = None
    listing_id: UUID | None = None


# The numbers M-Pesa pushes to, as mpesa.normalise_phone takes them (it also drops spaces,
# dashes and brackets).
MPESA_PHONE = {"pattern": r"^\+?(254|0)?[17][0-9]{8}$", "examples": ["0712345678"]}


class StkIn(Input):
    """Pay an invoice (``invoice_id``) or a listing's deposit, booking fee or rent."""

    phone: str = Field(
        ...,
        min_length=9,
        max_length=20,
        validation_alias=AliasChoices("phone", "phone_number"),
        json_schema_extra=MPESA_PHONE,
    )
    invoice_id: UUID | None = None
    listing_id: UUID | None = None
    purpose: PaymentPurpose = PaymentPurpose.INVOICE
    amount: Decimal | None = Field(None, gt=0, le=MAX_MONEY, decimal_places=2)


class ListingStkIn(Input):
    phone: str = Field(
        ...,
        min_length=9,
        max_length=20,
        validation_alias=AliasChoices("phone", "phone_number"),
        json_schema_extra=MPESA_PHONE,
    )
    invoice_id: UUID | None = None
    purpose: PaymentPurpose = PaymentPurpose.BOOKING_FEE
    amount: Decimal | None = Field(None, gt=0, le=MAX_MONEY, decimal_places=2)


class ManualPaymentIn(Input):
    method: Literal[PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER, PaymentMethod.CHEQUE] = Field(
        ..., description="cash, bank_transfer or cheque: M-Pesa payments come from M-Pesa."
    )
    amount: Decimal = Field(..., gt=0, le=MAX_MONEY, decimal_places=2)
    reference: str = Field(..., min_length=1, max_length=100)
    invoice_id: UUID | None = Field(None, validation_alias=AliasChoices("invoice_id", "invoice"))
    listing_id: UUID | None = None
    purpose: PaymentPurpose = PaymentPurpose.INVOICE
    payer_id: UUID | None = None
    paid_at: datetime | None = None
    notes: str = Field("", max_length=5000)


class PaymentPatchIn(Input):
    """Descriptive fields only: any other field (amount, status, ...) is a 400 naming it, since
    money moves only through the payment services."""

    reference: str | None = Field(None, max_length=100)
    notes: str | None = Field(None, max_length=5000)


PAYMENT_API_PREFIX = "/api/v1/finance/payments/"


def viewer_is_company_staff(request, actor, company_id) -> bool:
    """Whether the caller is an admin or staff of the company, worked out once per request."""
    if is_admin(actor):
        return True
    cached = getattr(request, "_finance_staff_company_ids", None)
    if cached is None:
        cached = staff_company_ids(actor) if getattr(actor, "is_authenticated", False) else set()
        request._finance_staff_company_ids = cached
    return company_id in cached


class PaymentOut(Schema):
    id: UUID
    company_id: UUID
    invoice_id: UUID | None
    listing_id: UUID | None
    payer_id: UUID | None
    purpose: str
    method: str
    status: str
    amount: MoneyStr
    currency: str
    phone: str
    reference: str
    notes: str
    proof_url: str | None = None
    merchant_request_id: str
    checkout_request_id: str | None
    mpesa_receipt: str | None
    mpesa_phone: str
    result_code: int | None
    result_desc: str
    paid_at: datetime | None
    amount_received: MoneyStr | None
    amount_applied: MoneyStr
    amount_credited: MoneyStr
    retry_of_id: UUID | None
    created_at: datetime

    @staticmethod
    def resolve_checkout_request_id(obj, context) -> str | None:
        # Daraja's id of the push is for the company's staff and admins only (it is what a
        # callback names); payers poll the payment by its own id.
        request = (context or {}).get("request")
        actor = getattr(request, "auth", None)
        if request is None or viewer_is_company_staff(request, actor, obj.company_id):
            return obj.checkout_request_id
        return None

    @staticmethod
    def resolve_proof_url(obj) -> str | None:
        # Never the storage URL: the proof is served only to those who may see the payment.
        return f"{PAYMENT_API_PREFIX}{obj.id}/proof/" if obj.proof else None


class PaymentStatusOut(Schema):
    id: UUID
    status: str
    result_code: int | None
    result_desc: str
    mpesa_receipt: str | None
    paid_at: datetime | None


class ReviewOut(Schema):
    id: UUID
    reason: str
    payment_id: UUID | None
    checkout_request_id: str
    payload: dict
    raw_body: str
    remote_addr: str
    resolved: bool
    created_at: datetime


class TransactionFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "amount")
    company_id: UUID | None = None
    kind: str | None = Field(None, max_length=30)
    reference_id: UUID | None = None
    account: AccountCode | None = None


class EntryOut(Schema):
    account: str
    owner_id: UUID | None
    debit: MoneyStr
    credit: MoneyStr

    @staticmethod
    def resolve_account(obj) -> str:
        return obj.account.code


class TransactionOut(Schema):
    id: UUID
    company_id: UUID
    kind: str
    reference_type: str
    reference_id: UUID
    memo: str
    currency: str
    amount: MoneyStr
    reverses_id: UUID | None
    entries: list[EntryOut]
    created_at: datetime


class PayoutFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "amount")
    status: PayoutStatus | None = None
    company_id: UUID | None = None
    owner_id: UUID | None = None


class PayoutIn(Input):
    company_id: UUID
    owner_id: UUID
    amount: Decimal = Field(..., gt=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    note: str = Field("", max_length=255)


class PayoutStatusIn(Input):
    status: PayoutStatus
    reference: str = Field("", max_length=100)


class PayoutOut(Schema):
    id: UUID
    company_id: UUID
    owner_id: UUID
    amount: MoneyStr
    currency: str
    status: str
    reference: str
    note: str
    created_at: datetime


class StatementQuery(Schema):
    company_id: UUID
    start: DateOrDateTime
    end: DateOrDateTime
    currency: CurrencyCode | None = Field(None, description="ISO 4217; default: the company's currency.")


class CurrencyBalanceOut(Schema):
    currency: str
    balance: MoneyStr


class OwnerBalanceOut(Schema):
    """``balance`` is in the company's ``currency``; ``balances`` lists every currency the owner's
    account has moved in (amounts in different currencies are never added)."""

    company_id: UUID
    owner_id: UUID
    currency: str
    balance: Decimal
    balances: list[CurrencyBalanceOut]


class OwnerExpenseIn(Input):
    company_id: UUID
    amount: Decimal = Field(..., gt=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    description: str = Field(..., min_length=1, max_length=255)
    incurred_on: date | None = None
    listing_id: UUID | None = None


class OwnerExpenseOut(Schema):
    id: UUID
    company_id: UUID
    owner_id: UUID
    listing_id: UUID | None
    amount: MoneyStr
    currency: str
    description: str
    incurred_on: date
    created_at: datetime


class RefundIn(Input):
    reason: str = Field(..., min_length=1, max_length=200)


class StatementLineOut(Schema):
    date: date
    kind: str
    memo: str
    transaction_id: UUID
    credit: Decimal
    debit: Decimal
    management_fee: Decimal
    balance: Decimal


class ArrearsQuery(Schema):
    company_id: UUID
    as_of: date | None = Field(None, description="Owed before this day (default: today).")


class ArrearsLineOut(Schema):
    invoice_id: UUID
    number: str
    lease_id: UUID
    listing_id: UUID
    listing_title: str
    unit: str
    tenant_name: str
    due_date: date
    days_late: int
    currency: str
    total: MoneyStr
    amount_paid: MoneyStr
    balance: MoneyStr
    status: str


class OwnerArrearsOut(Schema):
    """Every open invoice of the owner's leases past its due date, oldest first; ``totals``
    is the balance owed per currency."""

    company_id: UUID
    owner_id: UUID
    as_of: date
    invoices: list[ArrearsLineOut]
    totals: dict[str, str]


class OwnerStatementOut(Schema):
    """``opening_balance + rent_collected - management_fees - expenses - refunds - payouts
    + payouts_returned + adjustments = closing_balance``."""

    company_id: UUID
    owner_id: UUID
    currency: str
    period_start: date | datetime
    period_end: date | datetime
    opening_balance: MoneyStr
    rent_collected: MoneyStr
    management_fees: MoneyStr
    expenses: MoneyStr
    refunds: MoneyStr
    payouts: MoneyStr
    payouts_returned: MoneyStr
    adjustments: MoneyStr
    closing_balance: MoneyStr
    lines: list[StatementLineOut]


class NegativeOwnerBalanceOut(Schema):
    company_id: UUID
    owner_id: UUID
    balance: Decimal


class LedgerVerifyOut(Schema):
    ok: bool = Field(..., description="Every transaction balances and so does each company's books.")
    transactions: int
    unbalanced_transactions: list[UUID] = Field(..., description="At most the first 100.")
    companies_out_of_balance: list[UUID]
    negative_owner_balances: list[NegativeOwnerBalanceOut]


class MpesaAckOut(Schema):
    """What Daraja expects back from a callback (always ``0``, ``Accepted``)."""

    ResultCode: int
    ResultDesc: str
