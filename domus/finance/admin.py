"""Django admin of finance. Money rows (invoices and their lines, payments, payouts, owner
expenses, the ledger) are read-only here: they are listed, filtered, searched and opened, but
money only moves through the services (API), which post to the ledger and audit every change."""

import re

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from domus.finance.models import (
    Account,
    CallbackReview,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    OwnerExpense,
    Payment,
    Payout,
)

# What Invoice.display_number prints ("INV-000042"), or the bare number.
PRINTED_NUMBER = re.compile(r"^\s*(?:INV-?)?0*(\d{1,18})\s*$", re.IGNORECASE)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Invoices by their printed number (``INV-000042``): shown so, and found so in the
    search box (``INV-000042``, ``inv-42`` or ``42``), as well as by the recipient's e-mail."""

    list_display = ("printed_number", "company", "recipient", "status", "total", "amount_paid", "due_date")
    list_filter = ("status", "due_date")
    search_fields = ("recipient__email",)
    raw_id_fields = ("company", "recipient", "lease", "listing", "created_by")
    inlines = [LineInline]

    @admin.display(description="number", ordering="number")
    def printed_number(self, invoice: Invoice) -> str:
        return invoice.display_number

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = PRINTED_NUMBER.match(search_term)
        if number is not None:
            found |= queryset.filter(number=int(number.group(1)))
        return found, may_have_duplicates


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "kind", "description", "amount")
    list_filter = ("kind",)
    search_fields = ("description",)
    raw_id_fields = ("invoice",)


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(ReadOnlyAdmin):
    list_display = ("company", "last_number")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "method", "status", "amount", "currency", "phone", "mpesa_receipt", "created_at")
    list_filter = ("status", "method", "purpose")
    search_fields = ("phone", "mpesa_receipt", "checkout_request_id", "reference")
    raw_id_fields = ("company", "invoice", "listing", "payer", "retry_of", "recorded_by")


@admin.register(CallbackReview)
class CallbackReviewAdmin(admin.ModelAdmin):
    list_display = ("reason", "checkout_request_id", "resolved", "created_at")
    list_filter = ("reason", "resolved")
    search_fields = ("checkout_request_id", "raw_body")
    raw_id_fields = ("payment",)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("company", "code", "kind", "name")


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ("account", "owner", "debit", "credit")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "company", "kind", "amount", "currency", "memo")
    list_filter = ("kind",)
    search_fields = ("memo", "reference_id")
    inlines = [EntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("transaction", "account", "owner", "debit", "credit")
    list_filter = ("account__code",)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("id", "company", "owner", "amount", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference", "note", "owner__email")
    raw_id_fields = ("company", "owner", "created_by")


@admin.register(OwnerExpense)
class OwnerExpenseAdmin(ReadOnlyAdmin):
    list_display = ("description", "company", "owner", "amount", "incurred_on")
    list_filter = ("incurred_on",)
    search_fields = ("description", "owner__email")
    raw_id_fields = ("company", "owner", "listing", "created_by")
