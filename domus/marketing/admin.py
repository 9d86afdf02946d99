from django.contrib import admin

from domus.marketing.models import (
    Campaign,
    DoNotContact,
    Enrolment,
    Segment,
    SegmentMember,
    Sequence,
    SocialPost,
    SocialRule,
    Touch,
)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "member_count", "rebuilt_at", "created_at")
    search_fields = ("name",)
    readonly_fields = ("member_count", "rebuilt_at")


@admin.register(SegmentMember)
class SegmentMemberAdmin(admin.ModelAdmin):
    list_display = ("segment", "lead", "entered_at")
    raw_id_fields = ("segment", "lead")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "status", "schedule", "launched_at", "completed_at")
    list_filter = ("status", "schedule")
    search_fields = ("name",)


@admin.register(Touch)
class TouchAdmin(admin.ModelAdmin):
    list_display = ("lead", "campaign", "enrolment", "step", "channel", "status", "due_at", "handed_at")
    list_filter = ("status", "channel")
    raw_id_fields = ("lead", "campaign", "enrolment", "delivery")


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("name",)


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("lead", "sequence", "status", "current_step", "due_at")
    list_filter = ("status",)
    raw_id_fields = ("lead", "sequence")


@admin.register(DoNotContact)
class DoNotContactAdmin(admin.ModelAdmin):
    list_display = ("company", "channel", "address", "lead", "reason", "created_at")
    search_fields = ("address",)
    raw_id_fields = ("lead",)


@admin.register(SocialPost)
class SocialPostAdmin(admin.ModelAdmin):
    list_display = ("network", "company", "status", "scheduled_at", "published_at", "attempts")
    list_filter = ("status", "network")


@admin.register(SocialRule)
class SocialRuleAdmin(admin.ModelAdmin):
    list_display = ("network", "trigger", "company", "active", "created_at")
    list_filter = ("trigger", "active")
