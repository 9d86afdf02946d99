"""Invoices, payments (M-Pesa and manual), the double-entry ledger and owner payouts."""

import os
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Q

from domus.core.models import BaseModel
from domus.core.money import currency_field, money_field

# Ledger ------------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    REVENUE = "revenue", "Revenue"
    EXPENSE = "expense", "Expense"


class AccountCode(models.TextChoices):
    MPESA_CLEARING = "mpesa_clearing", "M-Pesa clearing"
    BANK = "bank", "Bank"
    RECEIVABLES = "receivables", "Tenant receivables"
    RENT_BILLED = "rent_billed", "Rent billed, not yet collected"
    TENANT_DEPOSITS = "tenant_deposits", "Tenant deposits held"
    TENANT_CREDIT = "tenant_credit", "Tenant credit (overpayments)"
    OWNER_PAYABLE = "owner_payable", "Owner payable"
    FEE_REVENUE = "fee_revenue", "Management-fee revenue"
    COMMISSIONS_PAYABLE = "commissions_payable", "Commissions payable"
    TAX_PAYABLE = "tax_payable", "Tax payable"


ACCOUNT_KINDS = {
    AccountCode.MPESA_CLEARING: AccountKind.ASSET,
    AccountCode.BANK: AccountKind.ASSET,
    AccountCode.RECEIVABLES: AccountKind.ASSET,
    AccountCode.RENT_BILLED: AccountKind.LIABILITY,
    AccountCode.TENANT_DEPOSITS: AccountKind.LIABILITY,
    AccountCode.TENANT_CREDIT: AccountKind.LIABILITY,
    AccountCode.OWNER_PAYABLE: AccountKind.LIABILITY,
    AccountCode.FEE_REVENUE: AccountKind.REVENUE,
    AccountCode.COMMISSIONS_PAYABLE: AccountKind.LIABILITY,
    AccountCode.TAX_PAYABLE: AccountKind.LIABILITY,
}


class AppendOnly(Exception):
    """Ledger rows are never changed or removed; corrections are reversing entries."""


class Account(BaseModel):
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="ledger_accounts")
    code = models.CharField(max_length=30, choices=AccountCode.choices)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    name = models.CharField(max_length=100)

    class Meta(BaseModel.Meta):
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="account_unique_code_per_company")]

    def __str__(self) -> str:
        return f"{self.name} ({self.company_id})"


class LedgerTransaction(BaseModel):
    """A balanced set of entries. ``(kind, reference_id)`` is unique, so one business
    event posts once however often it is processed."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="ledger_transactions")
    kind = models.CharField(max_length=30)
    reference_type = models.CharField(max_length=30)
    reference_id = models.UUIDField()
    memo = models.CharField(max_length=255, blank=True)
    currency = currency_field()
    amount = money_field(help_text="Sum of the debits (= sum of the credits).")
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference_id"], name="ledger_transaction_posts_once"),
        ]

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("ledger transactions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("ledger transactions are append-only")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"


class LedgerEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    debit = money_field(default=0)
    credit = money_field(default=0)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "owner"], name="ledger_entry_account_owner")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)), name="ledger_entry_one_side"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} Dr {self.debit} Cr {self.credit}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("ledger entries are append-only")


# Invoices ----------------------------------------------------------------------------


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    VOID = "void", "Void"


OPEN_INVOICE_STATUSES = (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


class InvoiceCounter(models.Model):
    """The last invoice number of a company, locked while the next one is taken (gapless)."""

    company = models.OneToOneField("organizations.Company", on_delete=models.CASCADE, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.company_id}: {self.last_number}"


class Invoice(BaseModel):
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    lease = models.ForeignKey("leasing.Lease", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(null=True, blank=True)
    listing = models.ForeignKey("properties.Listing", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    currency = currency_field()
    issue_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=15, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    subtotal = money_field(default=0)
    tax_total = money_field(default=0)
    total = money_field(default=0)
    amount_paid = money_field(default=0)
    late_fee_applied = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["status", "due_date"], name="invoice_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique_per_company"),
            models.UniqueConstraint(fields=["lease", "period_start"], name="invoice_once_per_lease_period"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0, total__gte=0), name="invoice_amounts_positive"),
        ]

    @property
    def display_number(self) -> str:
        return f"INV-{self.number:06d}"

    @property
    def balance_due(self):
        return max(self.total - self.amount_paid, 0)

    def __str__(self) -> str:
        return self.display_number


class LineKind(models.TextChoices):
    RENT = "rent", "Rent"
    DEPOSIT = "deposit", "Deposit"
    LATE_FEE = "late_fee", "Late fee"
    OTHER = "other", "Other"


class InvoiceLine(models.Model):
    id = models.BigAutoField(primary_key=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.OTHER)
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=1)
    unit_price = money_field()
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0, help_text="Percent.")
    amount = money_field(default=0)
    tax_amount = money_field(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, unit_price__gte=0), name="invoice_line_positive"),
        ]

    def __str__(self) -> str:
        return self.description


# Payments ----------------------------------------------------------------------------


class PaymentMethod(models.TextChoices):
    MPESA = "mpesa", "M-Pesa"
    CASH = "cash", "Cash"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CHEQUE = "cheque", "Cheque"


class PaymentPurpose(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    RENT = "rent", "Rent"
    DEPOSIT = "deposit", "Deposit"
    BOOKING_FEE = "booking_fee", "Booking fee"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled by the user"
    TIMED_OUT = "timed_out", "Timed out"
    INSUFFICIENT_FUNDS = "insufficient_funds", "Insufficient funds"
    WRONG_PIN = "wrong_pin", "Wrong PIN"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (no answer from M-Pesa)"
    REFUNDED = "refunded", "Refunded"


RETRYABLE_STATUSES = frozenset(
    set(PaymentStatus.values) - {PaymentStatus.PENDING, PaymentStatus.PAID, PaymentStatus.REFUNDED}
)


def proof_upload_to(instance: "Payment", filename: str) -> str:
    """An unguessable name: proofs are served only through the payment's proof endpoint."""
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"finance/payment-proofs/{uuid4().hex}{extension}"


class Payment(BaseModel):
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    listing = models.ForeignKey("properties.Listing", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    purpose = models.CharField(max_length=15, choices=PaymentPurpose.choices, default=PaymentPurpose.INVOICE)
    method = models.CharField(max_length=15, choices=PaymentMethod.choices)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount = money_field()
    currency = currency_field()
    phone = models.CharField(max_length=15, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Bank or cheque reference.")
    notes = models.TextField(blank=True)
    proof = models.FileField(upload_to=proof_upload_to, blank=True)
    merchant_request_id = models.CharField(max_length=100, blank=True)
    checkout_request_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    mpesa_receipt = models.CharField(max_length=30, null=True, blank=True, unique=True)
    result_code = models.IntegerField(null=True, blank=True)
    result_desc = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    mpesa_phone = models.CharField(max_length=15, blank=True, help_text="PhoneNumber reported by the callback.")
    amount_received = money_field(null=True, blank=True, help_text="Amount M-Pesa reported as received.")
    amount_applied = money_field(default=0)
    amount_credited = money_field(default=0, help_text="Overpayment held as tenant credit.")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="retries")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount} {self.currency} ({self.status})"


class ReviewReason(models.TextChoices):
    UNKNOWN_CHECKOUT = "unknown_checkout", "Unknown CheckoutRequestID"
    MALFORMED = "malformed", "Malformed callback"
    AMOUNT_MISMATCH = "amount_mismatch", "Amount mismatch"
    FORBIDDEN_SOURCE = "forbidden_source", "Callback from an address not allowed"
    LATE_SUCCESS = "late_success", "Success for a payment already expired or failed"
    INVOICE_NOT_OPEN = "invoice_not_open", "Money for an invoice that is not open (held as credit)"


class CallbackReview(BaseModel):
    """A callback (or money) that could not be applied as is, kept for a person to look at."""

    reason = models.CharField(max_length=20, choices=ReviewReason.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    checkout_request_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    raw_body = models.TextField(blank=True)
    remote_addr = models.CharField(max_length=45, blank=True)
    resolved = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.reason} {self.checkout_request_id}"


# Payouts -----------------------------------------------------------------------------


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class Payout(BaseModel):
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="payouts")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = money_field()
    currency = currency_field()
    status = models.CharField(max_length=12, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PayoutStatus.values), name="payout_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Payout {self.amount} {self.currency} ({self.status})"


class OwnerExpense(BaseModel):
    """A cost the company paid on an owner's behalf (repairs, rates); it lowers the owner's balance."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="owner_expenses")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owner_expenses")
    listing = models.ForeignKey("properties.Listing", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = money_field()
    currency = currency_field()
    description = models.CharField(max_length=255)
    incurred_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="owner_expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount} {self.currency}"
