"""Django admin of the CRM."""

from django.contrib import admin

from domus.core.admin import PhoneSearchMixin, SoftDeleteAdmin
from domus.crm.models import AssignmentCursor, Client, Lead, LeadActivity


@admin.register(Client)
class ClientAdmin(PhoneSearchMixin, SoftDeleteAdmin):
    list_display = ("name", "kind", "company", "assigned_agent", "email", "phone", "created_at", "deleted_at")
    list_filter = ("kind",)
    search_fields = ("name", "email", "phone", "organization_name")
    raw_id_fields = ("company", "user", "assigned_agent")


class LeadActivityInline(admin.TabularInline):
    model = LeadActivity
    extra = 0
    raw_id_fields = ("actor",)


@admin.register(Lead)
class LeadAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = ("name", "company", "source", "status", "score", "assigned_agent", "created_at")
    list_filter = ("status", "source")
    search_fields = ("name", "email", "phone")
    raw_id_fields = ("company", "assigned_agent", "user", "listing", "client")
    readonly_fields = ("score", "score_breakdown", "scored_at", "stage_reached", "merged_count")
    inlines = [LeadActivityInline]


@admin.register(LeadActivity)
class LeadActivityAdmin(admin.ModelAdmin):
    list_display = ("lead", "kind", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("lead", "actor")


@admin.register(AssignmentCursor)
class AssignmentCursorAdmin(admin.ModelAdmin):
    list_display = ("company", "last_agent", "updated_at")
    raw_id_fields = ("company", "last_agent")
