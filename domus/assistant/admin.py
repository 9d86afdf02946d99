"""Django admin of the assistant."""

from django.contrib import admin

from domus.assistant.models import AssistantJob, ChatMessage, ChatSession, Chunk, Feedback, IndexState, Review


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    list_display = ("kind", "version", "article", "ordinal", "model_id", "dimension")
    list_filter = ("kind", "model_id")
    raw_id_fields = ("version", "article")
    exclude = ("vector",)


@admin.register(IndexState)
class IndexStateAdmin(admin.ModelAdmin):
    list_display = ("id", "generation")


@admin.register(AssistantJob)
class AssistantJobAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "user", "progress", "total", "created_at", "finished_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("user",)


class MessageInline(admin.TabularInline):
    model = ChatMessage
    extra = 0
    fields = ("role", "content", "grounded")
    readonly_fields = fields


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "created_at", "updated_at")
    raw_id_fields = ("user",)
    inlines = [MessageInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("session", "role", "grounded", "created_at")
    raw_id_fields = ("session",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("question", "company", "asker", "reason", "status", "completed_at")
    list_filter = ("status", "reason")
    raw_id_fields = ("company", "asker", "message", "reviewer")


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("kind", "rating", "user", "feature", "created_at")
    list_filter = ("kind", "rating")
    raw_id_fields = ("user", "company", "message")
