"""Django admin of sales. Signed contracts are read-only here too."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from domus.core.admin import SoftDeleteAdmin
from domus.sales.models import Commission, Contract, ContractStatus, Deal, DealStatusChange, Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("listing", "unit", "amount", "currency", "made_by", "status", "expires_at", "created_at")
    list_filter = ("status", "made_by")
    raw_id_fields = ("company", "listing", "unit", "client", "buyer", "parent", "created_by")


@admin.register(Contract)
class ContractAdmin(SoftDeleteAdmin):
    list_display = ("title", "kind", "status", "price", "currency", "signed_at", "deleted_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)
    raw_id_fields = ("company", "offer", "listing", "signed_by", "created_by")
    readonly_fields = ("signed_at", "signed_by", "signed_ip", "document", "document_sha256")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == ContractStatus.SIGNED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == ContractStatus.SIGNED:
            return False
        return super().has_delete_permission(request, obj)


class DealStatusChangeInline(admin.TabularInline):
    model = DealStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "note", "changed_by", "changed_at")


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("title", "listing", "status", "amount", "currency", "selling_agent", "closed_at", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    raw_id_fields = (
        "company",
        "listing",
        "unit",
        "client",
        "lead",
        "offer",
        "contract",
        "listing_agent",
        "selling_agent",
        "created_by",
    )
    inlines = [DealStatusChangeInline]


@admin.register(DealStatusChange)
class DealStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("deal", "from_status", "to_status", "changed_by", "changed_at")
    list_filter = ("to_status",)
    raw_id_fields = ("deal", "changed_by")


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ("deal", "role", "agent", "amount", "currency", "status", "approved_at", "paid_at")
    list_filter = ("status", "role")
    raw_id_fields = ("company", "deal", "agent", "approved_by")
