from django.contrib import admin

from domus.maintenance.models import (
    IssuePreset,
    OtherIssue,
    Question,
    Response,
    Transition,
    Vendor,
    WorkOrder,
    WorkOrderPart,
)


@admin.register(IssuePreset)
class IssuePresetAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "default_priority", "is_active")
    search_fields = ("name", "category")


@admin.register(OtherIssue)
class OtherIssueAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    search_fields = ("name",)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "issue", "kind", "required", "position")
    list_filter = ("kind", "required")


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "trade", "insurance_expires_on", "is_active")
    search_fields = ("name", "trade")
    raw_id_fields = ("company", "user")


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ("work_order", "from_status", "to_status", "actor", "created_at")
    list_filter = ("to_status",)
    raw_id_fields = ("work_order", "actor")


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    readonly_fields = ("from_status", "to_status", "actor", "reason", "created_at")
    can_delete = False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "company", "status", "priority", "resolve_due_at", "created_at")
    list_filter = ("status", "priority")
    search_fields = ("name", "email", "address")
    raw_id_fields = ("company", "branch", "requester", "lease", "listing", "unit", "technician", "vendor")
    readonly_fields = ("status", "reopen_count")
    inlines = [TransitionInline]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("work_order", "question", "value")
    raw_id_fields = ("work_order", "question")


@admin.register(WorkOrderPart)
class WorkOrderPartAdmin(admin.ModelAdmin):
    list_display = ("work_order", "part", "quantity", "issued", "status")
    raw_id_fields = ("work_order", "part", "reservation")
