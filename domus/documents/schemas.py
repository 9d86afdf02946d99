"""API shapes of documents, versions, shares and knowledge articles."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema
from pydantic import StringConstraints

from domus.core.filtering import ListFilters, ordering_of
from domus.core.schemas import NOT_BLANK, Input
from domus.documents.markdown import render_markdown
from domus.documents.models import DocumentCategory, ExtractionStatus, SharePermission

Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^\x00]+$")]


class DocumentFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "title")
    category: DocumentCategory | None = None
    tag: str | None = Field(None, max_length=50)
    company_id: UUID | None = None
    listing_id: UUID | None = None
    unit_id: UUID | None = None
    lease_id: UUID | None = None
    contract_id: UUID | None = None
    client_id: UUID | None = None


class DocumentUploadIn(Input):
    """The form fields sent beside ``file`` (multipart). ``tags`` is comma-separated."""

    lax_scalars = True  # a multipart form: is_internal arrives as text ("true" or "false")

    title: str = Field("", max_length=200, pattern=r"^[^\x00]*$")
    description: str = Field("", max_length=5000, pattern=r"^[^\x00]*$")
    category: DocumentCategory = DocumentCategory.OTHER
    tags: str = Field("", max_length=1000, pattern=r"^[^\x00]*$", description="Comma-separated.")
    is_internal: bool = False
    company_id: UUID | None = None
    listing_id: UUID | None = None
    unit_id: UUID | None = None
    lease_id: UUID | None = None
    contract_id: UUID | None = None
    client_id: UUID | None = None

    def tag_list(self) -> list[str]:
        return [tag.strip()[:50] for tag in self.tags.split(",") if tag.strip()][:50]


class DocumentPatchIn(Input):
    title: str = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    description: str = Field(None, max_length=5000, pattern=r"^[^\x00]*$")
    category: DocumentCategory = None
    tags: list[Tag] = Field(None, max_length=50)
    is_internal: bool = None


class VersionOut(Schema):
    id: UUID
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    extraction_status: ExtractionStatus
    created_at: datetime
    uploaded_by_id: UUID | None


class DocumentOut(Schema):
    id: UUID
    company_id: UUID
    title: str
    description: str
    category: DocumentCategory
    tags: list[str]
    is_internal: bool
    listing_id: UUID | None
    unit_id: UUID | None
    lease_id: UUID | None
    contract_id: UUID | None
    client_id: UUID | None
    current_version: int = Field(..., alias="current_version_number")
    uploaded_by_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ShareIn(Input):
    """Share with a user or a company (``user_id`` or ``company_id``), or, with ``link: true``,
    get a signed link for someone without an account (``expires_in`` seconds)."""

    user_id: UUID | None = None
    company_id: UUID | None = None
    permission: SharePermission = SharePermission.READ
    expires_at: datetime | None = None
    link: bool = False
    expires_in: int = Field(86400, ge=60, le=30 * 86400)
    version_id: UUID | None = Field(None, description="For a link: the version (default: the current one).")


class ShareOut(Schema):
    id: UUID | None = None
    document_id: UUID
    user_id: UUID | None = None
    company_id: UUID | None = None
    permission: SharePermission
    expires_at: datetime | None = None
    url: str | None = Field(None, description="The signed link (link shares only).")
    version_id: UUID | None = None


class ArticleFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "title", "review_by")
    tag: str | None = Field(None, max_length=50)
    is_published: bool | None = None
    company_id: UUID | None = None


class ArticleIn(Input):
    title: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    body: str = Field(..., min_length=1, max_length=100_000, pattern=NOT_BLANK)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    is_published: bool = False
    review_by: date | None = None
    company_id: UUID | None = None
    id: UUID | None = Field(None, description="Update this article instead (the CRM's create-or-update).")


class ArticlePatchIn(Input):
    title: str = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    body: str = Field(None, min_length=1, max_length=100_000, pattern=NOT_BLANK)
    tags: list[Tag] = Field(None, max_length=50)
    is_published: bool = None
    review_by: date | None = None


class ArticleOut(Schema):
    id: UUID
    company_id: UUID | None
    title: str
    body: str
    body_html: str
    tags: list[str]
    is_published: bool
    review_by: date | None
    source: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_body_html(obj) -> str:
        return render_markdown(obj.body)
