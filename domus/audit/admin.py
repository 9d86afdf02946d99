"""Back office for the audit trail: searchable and filterable, and read-only: rows
are append-only, so the admin can neither add, change nor delete them."""

from django.contrib import admin
from django.http import HttpRequest

from domus.audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_repr", "action", "resource_type", "resource_id", "company_id", "ip_address")
    list_filter = ("action", "resource_type", "created_at")
    search_fields = ("actor_repr", "resource_id", "action", "request_id")
    readonly_fields = [field.name for field in AuditLog._meta.fields]
    show_full_result_count = False  # an exact count of a huge trail on every page costs too much

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False
