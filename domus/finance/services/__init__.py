"""Every write to money: the ledger, invoices, payments (M-Pesa and manual) and owner payouts.

Money rules: every posting is one balanced ``LedgerTransaction`` whose ``(kind, reference_id)``
is unique; a payment is applied to its invoice and posted in the same database transaction.

The services are split by concern (ledger, invoices, payments, payouts, statements); this package re-exports
every public service so callers keep using ``domus.finance.services.<name>``."""

from domus.finance.services.invoices import (
    invoice_create,
    invoice_deliver,
    invoice_pdf,
    invoice_send,
    invoice_update,
    invoice_void,
    invoices_announce,
    late_fees_apply,
    rent_invoices_issue,
)
from domus.finance.services.ledger import (
    Line,
    ledger_post,
    ledger_reverse,
    ledger_verify,
)
from domus.finance.services.payments import (
    mpesa_callback_process,
    mpesa_pending_query,
    payment_attach_proof,
    payment_cancel,
    payment_expire,
    payment_record_manual,
    payment_retry,
    payment_stk_start,
    payment_update,
)
from domus.finance.services.payouts import owner_expense_create, payment_refund, payout_create, payout_set_status
from domus.finance.services.statements import owner_statement_pdf

__all__ = [
    "Line",
    "invoice_create",
    "invoice_deliver",
    "invoice_pdf",
    "invoice_send",
    "invoice_update",
    "invoice_void",
    "invoices_announce",
    "late_fees_apply",
    "ledger_post",
    "ledger_reverse",
    "ledger_verify",
    "mpesa_callback_process",
    "mpesa_pending_query",
    "owner_expense_create",
    "owner_statement_pdf",
    "payment_attach_proof",
    "payment_cancel",
    "payment_expire",
    "payment_record_manual",
    "payment_refund",
    "payment_retry",
    "payment_stk_start",
    "payment_update",
    "payout_create",
    "payout_set_status",
    "rent_invoices_issue",
]
