"""Django admin of the ops app: background jobs (read-only, with a cancel action)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from domus.core.exceptions import DomusError
from domus.ops.models import Job
from domus.ops.services.jobs import job_cancel


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "done", "total", "started_by", "company", "created_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("kind", "started_by__email")
    raw_id_fields = ("started_by", "company")
    readonly_fields = (
        "kind",
        "status",
        "params",
        "done",
        "total",
        "result",
        "errors",
        "error",
        "cancel_requested",
        "started_by",
        "company",
        "started_at",
        "finished_at",
    )
    actions = ("cancel_jobs",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are started through their services (imports, reindex, maintenance)

    @admin.action(description="Cancel the selected jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        cancelled = 0
        for job in queryset:
            try:
                job_cancel(actor=request.user, job=job)
                cancelled += 1
            except DomusError as error:
                self.message_user(request, f"{job}: {error.detail}", messages.WARNING)
        self.message_user(request, f"{cancelled} job(s) cancelled or asked to stop.")
