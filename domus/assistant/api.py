"""Assistant API: answers (sync, as a job, preview), chat sessions, the index rebuild, the
review queue and feedback."""

import csv
import io
from collections.abc import Iterator
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.assistant import selectors
from domus.assistant.schemas import (
    AnswerOut,
    AnswerReviewFilters,
    AnswerReviewIn,
    AnswerReviewOut,
    AnswerReviewPatchIn,
    AssistIn,
    ChatMessageIn,
    ChatSessionFilters,
    FeedbackFilters,
    FeedbackIn,
    FeedbackOut,
    IndexOut,
    JobOut,
    PreviewOut,
    SessionIn,
    SessionOut,
    TranscriptOut,
)
from domus.assistant.services import assist, index, reviews
from domus.core.errors import ErrorOut
from domus.core.openapi import download
from domus.core.policies import is_admin, require
from domus.core.throttling import ScopedRateLimit
from domus.organizations.selectors import staff_company_ids

router = Router(tags=["assistant"])

SIGNED_IN = {"x-permission": "signed in; answers only from what the caller may read"}
OWN = {"x-permission": "the user who owns it"}
ADMIN = {"x-permission": "platform admin"}
STAFF = {"x-permission": "company staff or admin"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
ASSIST_LIMIT = ScopedRateLimit("assistant")


def _context(payload: AssistIn) -> dict | None:
    return {"type": payload.context.type, "id": payload.context.id} if payload.context else None


@router.post(
    "/assist/",
    response={200: AnswerOut, **ERRORS, 503: ErrorOut},
    throttle=ASSIST_LIMIT,
    summary="Answer a question from the documents and articles you may read, with citations",
    openapi_extra=SIGNED_IN,
)
def assist_answer(request: HttpRequest, payload: AssistIn):
    return assist.assist(actor=request.auth, question=payload.question, context=_context(payload)).as_dict()


@router.post(
    "/assist/task/",
    response={202: JobOut, **ERRORS},
    throttle=ASSIST_LIMIT,
    summary="The same as a background job: read its status and result at jobs/{job_id}",
    openapi_extra=SIGNED_IN,
)
def assist_task(request: HttpRequest, payload: AssistIn):
    job = assist.assist_job_start(actor=request.auth, question=payload.question, context=_context(payload))
    return Status(202, job)


@router.post(
    "/assist/preview/",
    response={200: PreviewOut, **ERRORS},
    throttle=ASSIST_LIMIT,
    summary="The prompt and passages an answer would use (no model call)",
    openapi_extra=SIGNED_IN,
)
def assist_preview(request: HttpRequest, payload: AssistIn):
    return assist.preview(actor=request.auth, question=payload.question, context=_context(payload))


@router.get("/jobs/{job_id}/", response={200: JobOut, 401: ErrorOut, 404: ErrorOut}, summary="A job", openapi_extra=OWN)
def job_detail(request: HttpRequest, job_id: UUID):
    return selectors.job_get_for_actor(actor=request.auth, job_id=job_id)


# Chat ---------------------------------------------------------------------------------------------


@router.get(
    "/chat/sessions/",
    response={200: list[SessionOut], 400: ErrorOut, 401: ErrorOut},
    summary="Your chat sessions",
    openapi_extra=OWN,
)
@paginate
def session_list(request: HttpRequest, filters: Query[ChatSessionFilters]):
    return selectors.session_list_for_actor(actor=request.auth, filters=filters)


@router.post("/chat/sessions/", response={201: SessionOut, **ERRORS}, summary="Start a chat session", openapi_extra=OWN)
def session_create(request: HttpRequest, payload: SessionIn):
    return Status(201, assist.session_create(actor=request.auth, title=payload.title))


@router.get(
    "/chat/sessions/{session_id}/",
    response={200: TranscriptOut, 401: ErrorOut, 404: ErrorOut},
    summary="A chat session with its transcript",
    openapi_extra=OWN,
)
def session_detail(request: HttpRequest, session_id: UUID):
    session = selectors.session_get_for_actor(actor=request.auth, session_id=session_id)
    session.messages_list = list(selectors.session_transcript(session=session))
    return {
        "id": session.pk,
        "title": session.title,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "messages": session.messages_list,
    }


@router.post(
    "/chat/sessions/{session_id}/messages/",
    response={200: AnswerOut, **ERRORS, 503: ErrorOut},
    throttle=ASSIST_LIMIT,
    summary="Send a message and get the answer (the WebSocket chat/stream streams it instead)",
    openapi_extra=OWN,
)
def session_message(request: HttpRequest, session_id: UUID, payload: ChatMessageIn):
    session = selectors.session_get_for_actor(actor=request.auth, session_id=session_id)
    return assist.chat_reply(actor=request.auth, session=session, content=payload.content).as_dict()


# The index -----------------------------------------------------------------------------------------


@router.post(
    "/index/reindex/",
    response={202: JobOut, **ERRORS},
    summary="Rebuild the whole index in the background (progress on ml/stream; status at jobs/{job_id})",
    openapi_extra=ADMIN,
)
def reindex(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins rebuild the index.")
    return Status(202, index.reindex_start(actor=request.auth))


@router.get("/index/", response={200: IndexOut, **ERRORS}, summary="The index's size and models", openapi_extra=ADMIN)
def index_stats(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins read the index's statistics.")
    return selectors.index_stats()


# Reviews --------------------------------------------------------------------------------------------


@router.get(
    "/reviews/",
    response={200: list[AnswerReviewOut], 400: ErrorOut, 401: ErrorOut},
    summary="The review queue (staff: their companies'; others: their own requests)",
    openapi_extra={"x-permission": "company staff, admins; askers their own"},
)
@paginate
def review_list(request: HttpRequest, filters: Query[AnswerReviewFilters]):
    return selectors.review_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/reviews/",
    response={201: AnswerReviewOut, **ERRORS},
    summary="Ask a person to review an answer",
    openapi_extra=SIGNED_IN,
)
def review_create(request: HttpRequest, payload: AnswerReviewIn):
    review = reviews.review_request(actor=request.auth, **payload.dict())
    return Status(201, review)


@router.get(
    "/reviews/{review_id}/",
    response={200: AnswerReviewOut, 401: ErrorOut, 404: ErrorOut},
    summary="A review",
    openapi_extra={"x-permission": "company staff, admins; the asker"},
)
def review_detail(request: HttpRequest, review_id: UUID):
    return selectors.review_get_for_actor(actor=request.auth, review_id=review_id)


@router.patch(
    "/reviews/{review_id}/",
    response={200: AnswerReviewOut, 409: ErrorOut, **ERRORS},
    summary="Approve, correct or reject (completes the review; a correction becomes a knowledge article)",
    openapi_extra=STAFF,
)
def review_patch(request: HttpRequest, review_id: UUID, payload: AnswerReviewPatchIn):
    review = selectors.review_get_for_actor(actor=request.auth, review_id=review_id)
    return reviews.review_decide(actor=request.auth, review=review, **payload.dict())


# Feedback -----------------------------------------------------------------------------------------


@router.post(
    "/feedback/", response={201: FeedbackOut, **ERRORS}, summary="Rate an answer or a feature", openapi_extra=SIGNED_IN
)
def feedback_create(request: HttpRequest, payload: FeedbackIn):
    return Status(201, reviews.feedback_create(actor=request.auth, **payload.dict()))


@router.get(
    "/feedback/",
    response={200: list[FeedbackOut], 400: ErrorOut, 401: ErrorOut},
    summary="Feedback (your own; staff their companies')",
    openapi_extra={"x-permission": "signed in"},
)
@paginate
def feedback_list(request: HttpRequest, filters: Query[FeedbackFilters]):
    return selectors.feedback_list_for_actor(actor=request.auth, filters=filters)


EXPORT_COLUMNS = ["id", "created_at", "user_email", "kind", "feature", "message_id", "rating", "comment"]


def _csv_rows(queryset) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in queryset.iterator(chunk_size=1000):
        comment = row.comment
        if comment[:1] in ("=", "+", "-", "@"):
            comment = "'" + comment  # never a formula in a spreadsheet
        writer.writerow(
            [
                row.pk,
                row.created_at.isoformat(),
                row.user.email,
                row.kind,
                row.feature,
                row.message_id or "",
                row.rating,
                comment,
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@router.get(
    "/feedback/export/",
    response={200: None, 401: ErrorOut, 403: ErrorOut},
    summary="Feedback as CSV (staff: their companies'; admins: all)",
    openapi_extra={**STAFF, **download("CSV of the feedback", "text/csv")},
)
def feedback_export(request: HttpRequest):
    require(is_admin(request.auth) or bool(staff_company_ids(request.auth)), "Only staff export feedback.")
    response = StreamingHttpResponse(
        _csv_rows(selectors.feedback_export_rows(actor=request.auth)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="feedback.csv"'
    return response
