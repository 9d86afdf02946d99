"""Django admin of attendance."""

from django.contrib import admin

from domus.attendance.models import (
    Attendance,
    AttendanceRequest,
    BranchCalendar,
    Geofence,
    PayrollProfile,
    Schedule,
    ScheduleException,
    Shift,
    WeekOff,
)


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("name", "start_time", "end_time", "crosses_midnight", "grace_minutes", "is_active")
    search_fields = ("name",)
    raw_id_fields = ("company",)


@admin.register(BranchCalendar)
class BranchCalendarAdmin(admin.ModelAdmin):
    list_display = ("branch", "time_zone", "country", "subdivision")
    raw_id_fields = ("branch",)


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("advisor", "branch", "shift", "valid_from", "valid_to", "weekdays")
    raw_id_fields = ("advisor", "branch", "site", "shift")


@admin.register(WeekOff)
class WeekOffAdmin(admin.ModelAdmin):
    list_display = ("advisor", "weekday", "valid_from", "valid_to")
    raw_id_fields = ("advisor",)


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ("advisor", "kind", "start_date", "end_date", "shift")
    list_filter = ("kind",)
    raw_id_fields = ("advisor", "shift")


@admin.register(Geofence)
class GeofenceAdmin(admin.ModelAdmin):
    list_display = ("name", "branch", "kind", "radius_m", "is_active")
    raw_id_fields = ("branch",)


@admin.register(PayrollProfile)
class PayrollProfileAdmin(admin.ModelAdmin):
    list_display = ("advisor", "pay_basis", "base_pay", "overtime_rate", "late_penalty", "currency")
    raw_id_fields = ("advisor",)


class AttendanceRequestInline(admin.TabularInline):
    model = AttendanceRequest
    extra = 0
    fields = ("kind", "status", "minutes", "decided_by", "decided_at", "reason")
    readonly_fields = fields


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("advisor", "day", "branch", "status", "is_late", "worked_minutes", "overtime_minutes", "source")
    list_filter = ("status", "source")
    date_hierarchy = "day"
    raw_id_fields = ("company", "branch", "site", "advisor", "shift")
    inlines = [AttendanceRequestInline]


@admin.register(AttendanceRequest)
class AttendanceRequestAdmin(admin.ModelAdmin):
    list_display = ("attendance", "kind", "status", "minutes", "decided_by", "decided_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("attendance", "company", "branch", "decided_by")
