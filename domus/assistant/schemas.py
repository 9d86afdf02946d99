"""API shapes of the assistant."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AliasChoices

from domus.assistant.models import FeedbackKind, JobKind, JobStatus, ReviewReason, ReviewStatus
from domus.core.filtering import ListFilters, ordering_of
from domus.core.schemas import NOT_BLANK, Input

_QUESTION = AliasChoices("question", "prompt", "query", "message")
NO_NUL = r"^[^\x00]*$"


class ContextIn(Input):
    """The object a question is about: its documents are searched first (only those)."""

    type: Literal["document", "listing", "unit", "lease", "contract", "client"]
    id: UUID


class AssistIn(Input):
    question: str = Field(
        ...,
        min_length=1,
        max_length=2000,
        pattern=NOT_BLANK,
        validation_alias=_QUESTION,
        description="The question (prompt, query or message also accepted).",
    )
    context: ContextIn | None = None


class CitationOut(Schema):
    n: int
    kind: str
    title: str
    document_id: UUID | None
    version_id: UUID | None = Field(None, description="The document version the passage was read from.")
    version_number: int | None
    article_id: UUID | None
    chunk_id: UUID
    excerpt: str


class AnswerOut(Schema):
    answer: str
    citations: list[CitationOut]
    tool_results: list[dict[str, Any]]
    grounded: bool
    weak_retrieval: bool
    escalation_offered: bool
    model: str
    review_id: UUID | None = None
    message_id: UUID | None = None


class PassageOut(CitationOut):
    text: str
    similarity: float | None


class PreviewOut(Schema):
    question: str
    model: str
    messages: list[dict[str, str]]
    passages: list[PassageOut]
    tool_results: list[dict[str, Any]]
    tools: list[str] = Field(default_factory=list, description="The functions offered to the model (none offline).")
    weak_retrieval: bool


class JobOut(Schema):
    id: UUID
    kind: JobKind
    status: JobStatus
    progress: int
    total: int
    result: dict[str, Any] | None
    error: str
    created_at: datetime
    finished_at: datetime | None


class SessionIn(Input):
    title: str = Field("", max_length=200, pattern=NO_NUL)


class ChatMessageIn(Input):
    content: str = Field(..., min_length=1, max_length=2000, pattern=NOT_BLANK)


class ChatMessageOut(Schema):
    id: UUID
    role: str
    content: str
    citations: list[dict[str, Any]]
    tool_results: list[dict[str, Any]]
    grounded: bool
    created_at: datetime


class SessionOut(Schema):
    id: UUID
    title: str
    created_at: datetime
    updated_at: datetime


class TranscriptOut(SessionOut):
    messages: list[ChatMessageOut]


class AnswerReviewIn(Input):
    message_id: UUID | None = Field(None, description="An answer of yours from a chat transcript.")
    question: str = Field("", max_length=2000, pattern=NO_NUL)
    answer: str = Field("", max_length=10000, pattern=NO_NUL)


class AnswerReviewPatchIn(Input):
    decision: Literal["approve", "correct", "reject"]
    corrected_answer: str = Field("", max_length=20000, pattern=NO_NUL)
    note: str = Field("", max_length=2000, pattern=NO_NUL)
    publish: bool = Field(True, description="Publish the corrected answer as a knowledge article.")


class ChatSessionFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at")


class AnswerReviewFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at")
    status: ReviewStatus | None = None
    reason: ReviewReason | None = None
    company_id: UUID | None = None


class AnswerReviewOut(Schema):
    id: UUID
    company_id: UUID | None
    asker_id: UUID
    message_id: UUID | None
    question: str
    answer: str
    citations: list[dict[str, Any]]
    withheld: bool = Field(False, description="The answer cites documents you cannot read, so it is not shown.")
    reason: ReviewReason
    status: ReviewStatus
    corrected_answer: str
    reviewer_note: str
    reviewer_id: UUID | None
    completed_at: datetime | None
    article_id: UUID | None
    created_at: datetime

    @staticmethod
    def _withheld(obj, context) -> bool:
        request = (context or {}).get("request")
        return request is None or review_withheld(request, obj)  # no viewer known: shown to nobody

    @staticmethod
    def resolve_answer(obj, context) -> str:
        return "" if AnswerReviewOut._withheld(obj, context) else obj.answer

    @staticmethod
    def resolve_citations(obj, context) -> list[dict[str, Any]]:
        return [] if AnswerReviewOut._withheld(obj, context) else obj.citations

    @staticmethod
    def resolve_withheld(obj, context) -> bool:
        return AnswerReviewOut._withheld(obj, context)


def review_withheld(request: Any, review: Any) -> bool:
    """Whether the stored answer cites a source the viewer may not read (a reviewer of
    another's question): then neither the answer nor its citations are shown. The viewer's
    readable sources are read once per request."""
    actor = request.auth
    if review.asker_id == getattr(actor, "pk", None) or not review.citations:
        return False
    readable = getattr(request, "_assistant_readable", None)
    if readable is None:
        from domus.assistant.selectors import readable_sources

        versions, articles = readable_sources(actor)
        readable = request._assistant_readable = ({str(v) for v in versions}, {str(a) for a in articles})
    return any(
        (c.get("version_id") and c["version_id"] not in readable[0])
        or (c.get("article_id") and c["article_id"] not in readable[1])
        for c in review.citations
    )


class FeedbackIn(Input):
    kind: FeedbackKind = FeedbackKind.ANSWER
    message_id: UUID | None = None
    feature: str = Field("", max_length=100, pattern=NO_NUL)
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=5000, pattern=NO_NUL)


class FeedbackFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "rating")
    kind: FeedbackKind | None = None
    rating: int | None = Field(None, ge=1, le=5)


class FeedbackOut(Schema):
    id: UUID
    kind: FeedbackKind
    message_id: UUID | None
    feature: str
    rating: int
    comment: str
    user_id: UUID
    created_at: datetime


class IndexOut(Schema):
    chunks: int
    generation: int
    models: list[str]
