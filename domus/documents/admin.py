"""Django admin of documents."""

from django.contrib import admin

from domus.documents.models import Document, DocumentShare, DocumentVersion, KnowledgeArticle


class VersionInline(admin.TabularInline):
    model = DocumentVersion
    extra = 0
    fields = ("number", "filename", "content_type", "size", "extraction_status")
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "company", "category", "current_version_number", "is_internal", "created_at")
    list_filter = ("category", "is_internal")
    search_fields = ("title",)
    raw_id_fields = ("company", "listing", "unit", "lease", "contract", "client", "uploaded_by")
    inlines = [VersionInline]


@admin.register(DocumentVersion)
class DocumentVersionAdmin(admin.ModelAdmin):
    list_display = ("document", "number", "filename", "content_type", "size", "extraction_status")
    list_filter = ("extraction_status", "content_type")
    raw_id_fields = ("document", "uploaded_by")


@admin.register(DocumentShare)
class DocumentShareAdmin(admin.ModelAdmin):
    list_display = ("document", "user", "company", "permission", "expires_at")
    raw_id_fields = ("document", "user", "company", "created_by")


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "company", "is_published", "review_by", "source")
    list_filter = ("is_published", "source")
    search_fields = ("title", "body")
    raw_id_fields = ("company", "created_by")
