from django.contrib import admin

from domus.maintenance.models import (
    ApprovalThreshold,
    IssuePreset,
    OtherIssue,
    PreventiveRun,
    PreventiveSchedule,
    Question,
    Response,
    ServiceHours,
    Transition,
    Vendor,
    WorkOrder,
    WorkOrderCharge,
    WorkOrderCosting,
    WorkOrderPart,
    WorkOrderPhoto,
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
    list_display = ("text", "issue", "kind", "required", "position", "show_if_question", "show_if_answer")
    list_filter = ("kind", "required")
    raw_id_fields = ("show_if_question",)


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
    raw_id_fields = ("work_order", "question", "photo")


@admin.register(WorkOrderPart)
class WorkOrderPartAdmin(admin.ModelAdmin):
    list_display = ("work_order", "part", "quantity", "issued", "status")
    raw_id_fields = ("work_order", "part", "reservation")


@admin.register(WorkOrderCosting)
class WorkOrderCostingAdmin(admin.ModelAdmin):
    list_display = ("work_order", "cause", "payer", "estimate_amount", "approval_status")
    list_filter = ("cause", "payer", "approval_status")
    raw_id_fields = ("work_order", "approval_by")


@admin.register(WorkOrderCharge)
class WorkOrderChargeAdmin(admin.ModelAdmin):
    list_display = ("work_order", "payer", "total", "currency", "created_at")
    list_filter = ("payer",)
    raw_id_fields = ("work_order", "company", "payer_user", "created_by")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a bill is final


@admin.register(ApprovalThreshold)
class ApprovalThresholdAdmin(admin.ModelAdmin):
    list_display = ("company", "owner", "amount")
    raw_id_fields = ("company", "owner")


@admin.register(ServiceHours)
class ServiceHoursAdmin(admin.ModelAdmin):
    list_display = ("company", "time_zone", "country", "opens", "closes")
    raw_id_fields = ("company",)


@admin.register(PreventiveSchedule)
class PreventiveScheduleAdmin(admin.ModelAdmin):
    list_display = ("title", "company", "asset", "next_due_on", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "asset")
    raw_id_fields = ("company", "branch", "listing", "unit", "issue", "technician")


@admin.register(PreventiveRun)
class PreventiveRunAdmin(admin.ModelAdmin):
    list_display = ("schedule", "due_on", "work_order", "reminded_at")
    raw_id_fields = ("schedule", "work_order")


@admin.register(WorkOrderPhoto)
class WorkOrderPhotoAdmin(admin.ModelAdmin):
    list_display = ("work_order", "content_type", "width", "height", "created_at")
    raw_id_fields = ("work_order", "uploaded_by")
