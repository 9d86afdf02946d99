"""Documents (with every version kept), their shares, and knowledge articles."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from domus.core.models import BaseModel, SoftDeleteModel


class DocumentCategory(models.TextChoices):
    LEASE = "lease", "Lease"
    CONTRACT = "contract", "Contract"
    INVOICE = "invoice", "Invoice or receipt"
    IDENTITY = "identity", "Identity document"
    TITLE = "title", "Title deed or plan"
    INSPECTION = "inspection", "Inspection or maintenance report"
    POLICY = "policy", "Policy or house rules"
    REPORT = "report", "Report or statement"
    PHOTO = "photo", "Photo"
    OTHER = "other", "Other"


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    EMPTY = "empty", "No text"
    FAILED = "failed", "Failed"


class SharePermission(models.TextChoices):
    READ = "read", "Read"
    EDIT = "edit", "Edit"


class Document(SoftDeleteModel):
    """A document of a company, optionally linked to one object of Domus. Internal
    documents are read only by the company's staff, the uploader and those it is shared with;
    the others also by the parties of the linked object (the lease's tenant and owner, the
    listing's owner, the contract's buyer, the client's user)."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=DocumentCategory.choices, default=DocumentCategory.OTHER)
    tags = models.JSONField(default=list, blank=True)
    is_internal = models.BooleanField(default=False)
    listing = models.ForeignKey(
        "properties.Listing", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    unit = models.ForeignKey(
        "properties.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    lease = models.ForeignKey(
        "leasing.Lease", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    contract = models.ForeignKey(
        "sales.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    client = models.ForeignKey("crm.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    current_version_number = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(SoftDeleteModel.Meta):
        indexes = [models.Index(fields=["company", "-created_at"], name="document_company_newest")]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=DocumentCategory.values), name="document_category_valid")
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(BaseModel):
    """One uploaded file of a document; a new upload is a new version, none is ever replaced."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=255)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    text = models.TextField(blank=True)
    extraction_status = models.CharField(
        max_length=10, choices=ExtractionStatus.choices, default=ExtractionStatus.PENDING
    )
    extraction_error = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="document_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} v{self.number}"


class DocumentShare(BaseModel):
    """A document shared with one user or one company, to read or edit, until ``expires_at``."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="document_shares"
    )
    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="document_shares"
    )
    permission = models.CharField(max_length=5, choices=SharePermission.choices, default=SharePermission.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, company__isnull=True) | Q(user__isnull=True, company__isnull=False),
                name="document_share_one_grantee",
            ),
            models.CheckConstraint(condition=Q(permission__in=SharePermission.values), name="document_share_perm"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} -> {self.user_id or self.company_id} ({self.permission})"


class KnowledgeArticle(BaseModel):
    """A curated answer written by staff (Markdown, rendered without raw HTML). A
    published article is read by the members of its company, or by everyone signed in when
    it has no company; drafts only by staff."""

    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="knowledge_articles"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    is_published = models.BooleanField(default=False)
    review_by = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, default="staff", help_text="staff, or review (a corrected answer).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["company", "is_published"], name="article_company_published")]

    def __str__(self) -> str:
        return self.title
