"""Django admin of communications."""

from django.contrib import admin

from domus.communications.models import (
    CommunicationPreference,
    Conversation,
    ConversationMember,
    Delivery,
    Message,
    MessageRead,
    Notification,
    OptOut,
    SupportTicket,
    TicketReply,
)


class MemberInline(admin.TabularInline):
    model = ConversationMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "last_message_at", "created_at"]
    search_fields = ["title"]
    raw_id_fields = ["created_by", "listing", "lead", "ticket"]
    inlines = [MemberInline]


@admin.register(ConversationMember)
class ConversationMemberAdmin(admin.ModelAdmin):
    list_display = ["conversation", "user", "created_at"]
    raw_id_fields = ["conversation", "user"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "conversation", "sender", "created_at"]
    search_fields = ["body"]
    raw_id_fields = ["conversation", "sender"]


@admin.register(MessageRead)
class MessageReadAdmin(admin.ModelAdmin):
    list_display = ["message", "user", "read_at"]
    raw_id_fields = ["message", "user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "type", "event", "read_at", "created_at"]
    list_filter = ["type"]
    search_fields = ["title", "body", "event"]
    readonly_fields = ["event_id"]
    raw_id_fields = ["recipient", "created_by"]


class ReplyInline(admin.TabularInline):
    model = TicketReply
    extra = 0
    raw_id_fields = ["author"]


@admin.register(SupportTicket)
class SupportTicketAdmin(admin.ModelAdmin):
    list_display = ["subject", "company", "customer", "assignee", "status", "priority", "created_at"]
    list_filter = ["status", "priority"]
    search_fields = ["subject", "description"]
    raw_id_fields = ["company", "customer", "assignee"]
    inlines = [ReplyInline]


@admin.register(TicketReply)
class TicketReplyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "author", "from_staff", "created_at"]
    raw_id_fields = ["ticket", "author"]


@admin.register(CommunicationPreference)
class CommunicationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "sms_enabled", "whatsapp_enabled", "language", "marketing_consent"]
    raw_id_fields = ["user"]


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["channel", "address", "reason", "company", "created_at"]
    list_filter = ["channel"]
    search_fields = ["address"]
    raw_id_fields = ["company", "created_by"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["channel", "address", "status", "provider", "attempts", "created_at"]
    list_filter = ["channel", "status", "provider"]
    search_fields = ["address", "provider_message_id"]
    raw_id_fields = ["company", "lead", "recipient", "sent_by"]
