"""Django admin of leasing."""

from django.contrib import admin

from domus.leasing.models import Lease, RentPeriod


class RentPeriodInline(admin.TabularInline):
    model = RentPeriod
    extra = 0
    readonly_fields = ("period_start", "period_end", "due_date", "amount", "invoice_id")


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ("id", "company", "listing", "tenant", "status", "start_date", "end_date", "rent_amount")
    list_filter = ("status",)
    search_fields = ("tenant__email", "listing__title")
    raw_id_fields = ("company", "listing", "unit", "tenant", "owner", "created_by")
    inlines = [RentPeriodInline]


@admin.register(RentPeriod)
class RentPeriodAdmin(admin.ModelAdmin):
    list_display = ("lease", "period_start", "due_date", "amount", "invoice_id")
    raw_id_fields = ("lease",)
