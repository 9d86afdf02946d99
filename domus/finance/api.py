"""Finance API: invoices (+ send), payments (M-Pesa STK, callback, status, retry, admin list,
manual), ledger transactions and verification, owner payouts and statements. Also mounts the
embedded M-Pesa simulator (used only when no Daraja credentials are configured)."""

from decimal import Decimal
from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate

from domus.accounts.selectors import active_user_for_field
from domus.core.errors import ErrorOut
from domus.core.exceptions import NotFound, UnknownReference, ValidationFailed
from domus.core.filtering import first_instant, last_instant
from domus.core.idempotency import idempotent
from domus.core.middleware import client_ip
from domus.core.openapi import download
from domus.core.policies import is_admin, require
from domus.core.query import reads_raw_request
from domus.core.throttling import ScopedRateLimit
from domus.finance import policies, selectors, services, simulator
from domus.finance.models import InvoiceStatus
from domus.finance.schemas import (
    ArrearsQuery,
    InvoiceFilters,
    InvoiceIn,
    InvoiceOut,
    InvoicePatchIn,
    LedgerVerifyOut,
    ListingStkIn,
    ManualPaymentIn,
    MpesaAckOut,
    OwnerArrearsOut,
    OwnerBalanceOut,
    OwnerExpenseIn,
    OwnerExpenseOut,
    OwnerStatementOut,
    PaymentFilters,
    PaymentOut,
    PaymentPatchIn,
    PaymentStatusOut,
    PayoutFilters,
    PayoutIn,
    PayoutOut,
    PayoutStatusIn,
    RefundIn,
    ReviewOut,
    StatementQuery,
    StkIn,
    TransactionFilters,
    TransactionOut,
    VoidIn,
)
from domus.organizations.selectors import branch_get_for_actor

router = Router(tags=["finance"])
router.add_router("/mpesa-simulator", simulator.router)

STAFF_ONLY = {"x-permission": "company staff or admin"}
ADMIN_ONLY = {"x-permission": "admin"}
INVOICE_READERS = {"x-permission": "the recipient, company staff, or admin"}
PAYMENT_READERS = {"x-permission": "the payer, the listing's agent or owner, company staff, or admin"}
PAYERS = {"x-permission": "the invoice's recipient or company staff (listings: any signed-in user)"}
OWNER_READERS = {"x-permission": "the owner, company staff, or admin"}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
MPESA_ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


# Invoices ------------------------------------------------------------------------------


@router.get(
    "/invoices/",
    response={200: list[InvoiceOut], 400: ErrorOut, 401: ErrorOut},
    summary="Invoices",
    openapi_extra=INVOICE_READERS,
)
@paginate
def invoice_list(request: HttpRequest, filters: Query[InvoiceFilters]):
    return selectors.invoice_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/invoices/",
    response={201: InvoiceOut, **WRITE_ERRORS},
    summary="Draft an invoice (or issue it at once: `issue`)",
    openapi_extra=STAFF_ONLY,
)
def invoice_create(request: HttpRequest, payload: InvoiceIn):
    data = payload.dict()
    company_id = data["company_id"]
    if data["store_id"] is not None:
        company_id = _store_company_id(request, store_id=data["store_id"], company_id=company_id)
    invoice = services.invoice_create(
        actor=request.auth,
        company_id=company_id,
        recipient=active_user_for_field(data["recipient_id"], field="recipient_id"),
        lines=data["lines"],
        due_date=data["due_date"],
        issue_date=data["issue_date"],
        currency=data["currency"],
        listing_id=data["listing_id"],
        notes=data["notes"],
        issue=data["issue"],
    )
    return Status(201, selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice.id))


def _store_company_id(request: HttpRequest, *, store_id: UUID, company_id: UUID | None) -> UUID:
    """The company of the store (branch) an invoice names; another ``company_id`` beside it is a 400."""
    try:
        branch = branch_get_for_actor(actor=request.auth, branch_id=store_id)
    except NotFound:
        raise UnknownReference("Unknown store.", errors={"store_id": ["No such store."]}) from None
    if company_id is not None and company_id != branch.company_id:
        raise ValidationFailed("The store is another company's.", errors={"store_id": ["Not of company_id."]})
    return branch.company_id


@router.get(
    "/invoices/{invoice_id}/",
    response={200: InvoiceOut, **READ_ERRORS},
    summary="An invoice",
    openapi_extra=INVOICE_READERS,
)
def invoice_detail(request: HttpRequest, invoice_id: UUID):
    return selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)


@router.api_operation(
    ["PUT", "PATCH"],
    "/invoices/{invoice_id}/",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Edit a draft invoice",
    openapi_extra=STAFF_ONLY,
)
def invoice_update(request: HttpRequest, invoice_id: UUID, payload: InvoicePatchIn):
    invoice = selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)
    require(policies.is_company_staff(request.auth, invoice.company_id))
    data = payload.dict(exclude_unset=True)
    if data.get("recipient_id"):
        data["recipient"] = active_user_for_field(data.pop("recipient_id"), field="recipient_id")
    services.invoice_update(actor=request.auth, invoice=invoice, **data)
    return selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)


@router.delete(
    "/invoices/{invoice_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Void an invoice (numbers are gapless, so the record is kept as void)",
    openapi_extra=STAFF_ONLY,
)
def invoice_delete(request: HttpRequest, invoice_id: UUID):
    invoice = selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)
    require(policies.is_company_staff(request.auth, invoice.company_id))
    services.invoice_void(actor=request.auth, invoice=invoice, reason="Deleted")
    return Status(204, None)


@router.post(
    "/invoices/{invoice_id}/void/",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Void an invoice",
    openapi_extra=STAFF_ONLY,
)
def invoice_void(request: HttpRequest, invoice_id: UUID, payload: VoidIn):
    invoice = selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)
    require(policies.is_company_staff(request.auth, invoice.company_id))
    services.invoice_void(actor=request.auth, invoice=invoice, reason=payload.reason)
    return selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)


@router.post(
    "/invoices/{invoice_id}/send/",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Issue and e-mail the invoice PDF; the recipient is notified in the app",
    openapi_extra=STAFF_ONLY,
)
@decorate_view(idempotent)
def invoice_send(request: HttpRequest, invoice_id: UUID):
    invoice = selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)
    require(policies.is_company_staff(request.auth, invoice.company_id))
    services.invoice_send(actor=request.auth, invoice=invoice)
    return selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)


@router.get(
    "/invoices/{invoice_id}/pdf/",
    response={200: None, **READ_ERRORS},
    summary="The invoice as PDF",
    openapi_extra={**INVOICE_READERS, **download("The invoice", "application/pdf")},
)
def invoice_pdf(request: HttpRequest, invoice_id: UUID):
    invoice = selectors.invoice_get_for_actor(actor=request.auth, invoice_id=invoice_id)
    require(invoice.status != InvoiceStatus.VOID or policies.is_company_staff(request.auth, invoice.company_id))
    response = HttpResponse(services.invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.display_number}.pdf"'
    return response


# Payments ------------------------------------------------------------------------------


@router.get(
    "/payments/",
    response={200: list[PaymentOut], 400: ErrorOut, 401: ErrorOut},
    summary="Payments",
    openapi_extra=PAYMENT_READERS,
)
@paginate
def payment_list(request: HttpRequest, filters: Query[PaymentFilters]):
    return selectors.payment_list_for_actor(actor=request.auth, filters=filters)


@router.get(
    "/payments/admin-list/",
    response={200: list[PaymentOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Every payment (filters, search, ordering)",
    openapi_extra=ADMIN_ONLY,
)
@paginate
def payment_admin_list(request: HttpRequest, filters: Query[PaymentFilters]):
    require(is_admin(request.auth))
    return selectors.payment_admin_list(filters=filters)


@router.get(
    "/payments/reviews/",
    response={200: list[ReviewOut], 401: ErrorOut, 403: ErrorOut},
    summary="M-Pesa money and callbacks held for review (unknown, malformed, amount mismatch, late success, "
    "invoice not open, forbidden source)",
    openapi_extra=ADMIN_ONLY,
)
@paginate
def payment_review_list(request: HttpRequest):
    require(is_admin(request.auth))
    return selectors.callback_review_list()


@router.post(
    "/payments/",
    response={201: PaymentOut, **WRITE_ERRORS},
    summary="Record a manual payment (cash, bank transfer, cheque)",
    openapi_extra=STAFF_ONLY,
)
@decorate_view(idempotent)
def payment_manual(request: HttpRequest, payload: ManualPaymentIn):
    data = payload.dict()
    payer = active_user_for_field(data.pop("payer_id"), field="payer_id") if data.get("payer_id") else None
    data.pop("payer_id", None)
    payment = services.payment_record_manual(actor=request.auth, payer=payer, **data)
    return Status(201, payment)


@router.post(
    "/payments/mpesa/stk/",
    response={201: PaymentOut, **WRITE_ERRORS, 503: ErrorOut},
    summary="Start an M-Pesa STK push for an invoice or a listing (Idempotency-Key honoured)",
    openapi_extra=PAYERS,
)
@decorate_view(idempotent)
def payment_stk(request: HttpRequest, payload: StkIn):
    payment = services.payment_stk_start(actor=request.auth, **payload.dict())
    return Status(201, payment)


@router.post(
    "/payments/mpesa/stk/{listing_id}/",
    response={201: PaymentOut, **WRITE_ERRORS, 503: ErrorOut},
    summary="Start an M-Pesa STK push for a listing: booking fee, deposit or rent (or one of its invoices)",
    openapi_extra=PAYERS,
)
@decorate_view(idempotent)
def payment_stk_listing(request: HttpRequest, listing_id: UUID, payload: ListingStkIn):
    data = payload.dict()
    if data["invoice_id"] is not None:
        payment = services.payment_stk_start(
            actor=request.auth, phone=data["phone"], invoice_id=data["invoice_id"], amount=data["amount"]
        )
    else:
        payment = services.payment_stk_start(
            actor=request.auth,
            phone=data["phone"],
            listing_id=listing_id,
            purpose=data["purpose"],
            amount=data["amount"],
        )
    return Status(201, payment)


def _callback(request: HttpRequest, token: str | None) -> dict:
    services.mpesa_callback_process(raw_body=request.body, remote_addr=client_ip(request) or "", token=token)
    return MPESA_ACCEPTED


@router.post(
    "/payments/mpesa/callback/",
    auth=None,
    response={200: MpesaAckOut},
    summary="Safaricom STK callback (idempotent; always answers what Daraja expects)",
)
@reads_raw_request
def payment_callback(request: HttpRequest):
    return _callback(request, None)


@router.post(
    "/payments/mpesa/callback/{token}/",
    auth=None,
    response={200: MpesaAckOut},
    summary="Safaricom STK callback with its secret path token",
)
@reads_raw_request
def payment_callback_with_token(request: HttpRequest, token: str):
    return _callback(request, token)


@router.get(
    "/payments/status/{payment_id}/",
    response={200: PaymentStatusOut, **READ_ERRORS},
    summary="Poll a payment's status",
    openapi_extra=PAYMENT_READERS,
)
def payment_status(request: HttpRequest, payment_id: UUID):
    return selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)


@router.get(
    "/payments/{payment_id}/",
    response={200: PaymentOut, **READ_ERRORS},
    summary="A payment",
    openapi_extra=PAYMENT_READERS,
)
def payment_detail(request: HttpRequest, payment_id: UUID):
    return selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)


@router.api_operation(
    ["PUT", "PATCH"],
    "/payments/{payment_id}/",
    response={200: PaymentOut, **WRITE_ERRORS},
    summary="Correct a payment's reference or notes (amount and status never change this way)",
    openapi_extra=ADMIN_ONLY,
)
def payment_update(request: HttpRequest, payment_id: UUID, payload: PaymentPatchIn):
    payment = selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)
    return services.payment_update(actor=request.auth, payment=payment, **payload.dict(exclude_unset=True))


@router.delete(
    "/payments/{payment_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Cancel a pending manual payment that moved no money (409 for anything that moved money)",
    openapi_extra=STAFF_ONLY,
)
def payment_delete(request: HttpRequest, payment_id: UUID):
    payment = selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)
    services.payment_cancel(actor=request.auth, payment=payment)
    return Status(204, None)


@router.post(
    "/payments/{payment_id}/retry/",
    response={201: PaymentOut, **WRITE_ERRORS, 503: ErrorOut},
    summary="A new STK attempt for a failed or expired payment (history kept)",
    openapi_extra=ADMIN_ONLY,
)
@decorate_view(idempotent)
def payment_retry(request: HttpRequest, payment_id: UUID):
    payment = selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)
    return Status(201, services.payment_retry(actor=request.auth, payment=payment))


@router.post(
    "/payments/{payment_id}/refund/",
    response={200: PaymentOut, **WRITE_ERRORS},
    summary="Refund a paid payment (reversing ledger entry; the invoice re-opens)",
    openapi_extra=STAFF_ONLY,
)
@decorate_view(idempotent)
def payment_refund(request: HttpRequest, payment_id: UUID, payload: RefundIn):
    payment = selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)
    return services.payment_refund(actor=request.auth, payment=payment, reason=payload.reason)


@router.post(
    "/payments/{payment_id}/proof/",
    response={200: PaymentOut, **WRITE_ERRORS},
    summary="Upload the proof of a manual payment",
    openapi_extra=STAFF_ONLY,
    throttle=ScopedRateLimit("upload"),
)
def payment_proof(request: HttpRequest, payment_id: UUID, file: File[UploadedFile]):
    payment = selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)
    return services.payment_attach_proof(actor=request.auth, payment=payment, upload=file)


@router.get(
    "/payments/{payment_id}/proof/",
    response={200: None, **READ_ERRORS},
    summary="Download the proof of a manual payment (only to those who may see the payment)",
    openapi_extra={**PAYMENT_READERS, **download("The uploaded file", "application/octet-stream")},
)
def payment_proof_download(request: HttpRequest, payment_id: UUID):
    payment = selectors.payment_get_for_actor(actor=request.auth, payment_id=payment_id)
    if not payment.proof:
        raise NotFound("This payment has no proof.")
    name = payment.proof.name.rsplit("/", 1)[-1]
    response = FileResponse(payment.proof.open("rb"), as_attachment=True, filename=f"proof-{payment.id}-{name}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Ledger --------------------------------------------------------------------------------


@router.get(
    "/transactions/",
    response={200: list[TransactionOut], 400: ErrorOut, 401: ErrorOut},
    summary="Ledger transactions with their entries",
    openapi_extra=STAFF_ONLY,
)
@paginate
def transaction_list(request: HttpRequest, filters: Query[TransactionFilters]):
    return selectors.transaction_list_for_actor(actor=request.auth, filters=filters)


@router.get(
    "/ledger/verify/",
    response={200: LedgerVerifyOut, 401: ErrorOut, 403: ErrorOut},
    summary="Verify that every transaction balances and each company's books balance",
    openapi_extra=ADMIN_ONLY,
)
def ledger_verify(request: HttpRequest):
    require(is_admin(request.auth))
    return services.ledger_verify()


# Payouts and owner statements ------------------------------------------------------------


@router.get(
    "/payouts/",
    response={200: list[PayoutOut], 400: ErrorOut, 401: ErrorOut},
    summary="Payouts",
    openapi_extra=OWNER_READERS,
)
@paginate
def payout_list(request: HttpRequest, filters: Query[PayoutFilters]):
    return selectors.payout_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/payouts/",
    response={201: PayoutOut, **WRITE_ERRORS},
    summary="Pay an owner out (never more than their balance)",
    openapi_extra=STAFF_ONLY,
)
@decorate_view(idempotent)
def payout_create(request: HttpRequest, payload: PayoutIn):
    owner = active_user_for_field(payload.owner_id, field="owner_id")
    data = payload.dict(exclude_none=True)
    data.pop("owner_id")
    return Status(201, services.payout_create(actor=request.auth, owner_id=owner.id, **data))


@router.get(
    "/payouts/{payout_id}/", response={200: PayoutOut, **READ_ERRORS}, summary="A payout", openapi_extra=OWNER_READERS
)
def payout_detail(request: HttpRequest, payout_id: UUID):
    return selectors.payout_get_for_actor(actor=request.auth, payout_id=payout_id)


@router.post(
    "/payouts/{payout_id}/status/",
    response={200: PayoutOut, **WRITE_ERRORS},
    summary="Move a payout to processing, paid or failed (failed gives the money back)",
    openapi_extra=STAFF_ONLY,
)
def payout_status(request: HttpRequest, payout_id: UUID, payload: PayoutStatusIn):
    payout = selectors.payout_get_for_actor(actor=request.auth, payout_id=payout_id)
    return services.payout_set_status(
        actor=request.auth, payout=payout, status=payload.status, reference=payload.reference
    )


def _owner_scope(request: HttpRequest, owner_id: UUID, company_id: UUID) -> None:
    if request.auth.id != owner_id and not policies.is_company_staff(request.auth, company_id):
        raise NotFound("Owner not found.")


@router.get(
    "/owners/{owner_id}/balance/",
    response={200: OwnerBalanceOut, **READ_ERRORS},
    summary="An owner's balance per currency: rent collected - management fees - expenses - payouts",
    openapi_extra=OWNER_READERS,
)
def owner_balance(request: HttpRequest, owner_id: UUID, company_id: UUID):
    _owner_scope(request, owner_id, company_id)
    currency = selectors.home_currency(company_id)
    balances = selectors.owner_balances(company_id=company_id, owner_id=owner_id)
    return {
        "company_id": company_id,
        "owner_id": owner_id,
        "currency": currency,
        "balance": balances.get(currency, Decimal("0.00")),
        "balances": [{"currency": code, "balance": amount} for code, amount in balances.items()],
    }


@router.get(
    "/owners/{owner_id}/arrears/",
    response={200: OwnerArrearsOut, **READ_ERRORS},
    summary="Rent owed on an owner's leases past its due date: each open invoice and the total per currency",
    openapi_extra=OWNER_READERS,
)
def owner_arrears(request: HttpRequest, owner_id: UUID, query: Query[ArrearsQuery]):
    _owner_scope(request, owner_id, query.company_id)
    as_of = query.as_of or timezone.localdate()
    return selectors.owner_arrears(company_id=query.company_id, owner_id=owner_id, as_of=as_of)


@router.get(
    "/owners/{owner_id}/statement/",
    response={200: OwnerStatementOut, **READ_ERRORS, 400: ErrorOut},
    summary="An owner's statement for a period (JSON)",
    openapi_extra=OWNER_READERS,
)
def owner_statement(request: HttpRequest, owner_id: UUID, query: Query[StatementQuery]):
    _owner_scope(request, owner_id, query.company_id)
    return _statement(owner_id, query)


def _statement(owner_id: UUID, query: StatementQuery) -> dict:
    if last_instant(query.end) < first_instant(query.start):
        raise ValidationFailed("The period ends before it starts.", errors={"end": ["Before start."]})
    return selectors.owner_statement(
        company_id=query.company_id,
        owner_id=owner_id,
        start=query.start,
        end=query.end,
        currency=query.currency,
    )


@router.get(
    "/owners/{owner_id}/statement/pdf/",
    response={200: None, **READ_ERRORS, 400: ErrorOut},
    summary="An owner's statement for a period (PDF)",
    openapi_extra={**OWNER_READERS, **download("The statement", "application/pdf")},
)
def owner_statement_pdf(request: HttpRequest, owner_id: UUID, query: Query[StatementQuery]):
    _owner_scope(request, owner_id, query.company_id)
    data = _statement(owner_id, query)
    pdf = services.owner_statement_pdf(statement=data)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{data["period_start"]}.pdf"'
    return response


@router.post(
    "/owners/{owner_id}/expenses/",
    response={201: OwnerExpenseOut, **WRITE_ERRORS},
    summary="Record an expense paid for an owner (lowers their balance)",
    openapi_extra=STAFF_ONLY,
)
def owner_expense_create(request: HttpRequest, owner_id: UUID, payload: OwnerExpenseIn):
    owner = active_user_for_field(owner_id, field="owner_id")
    data = payload.dict(exclude_none=True)
    expense = services.owner_expense_create(actor=request.auth, owner_id=owner.id, **data)
    return Status(201, expense)
