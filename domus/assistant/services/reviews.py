"""The human review queue and feedback."""

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from domus.assistant import selectors
from domus.assistant.models import ChatMessage, Feedback, MessageRole, Review, ReviewStatus
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from domus.organizations.selectors import default_company_id, is_company_staff


def _review_company(actor: Any, citations: list[dict[str, Any]]) -> UUID | None:
    """Whose staff review: the asker's one company; else the company of the first document the
    answer cites; else that of the asker's latest lease; else nobody's (platform admins)."""
    from domus.documents.selectors import document_company_id
    from domus.leasing.selectors import lease_visible_to

    company_id = default_company_id(actor)
    if company_id is not None:
        return company_id
    for citation in citations:
        if citation.get("document_id"):
            return document_company_id(citation["document_id"])
    lease = lease_visible_to(actor).filter(tenant_id=actor.pk).order_by("-start_date").first()
    return lease.company_id if lease else None


@transaction.atomic
def review_create(
    *,
    actor: Any,
    question: str,
    answer: str = "",
    citations: list[dict[str, Any]] | None = None,
    reason: str = "requested",
    message: ChatMessage | None = None,
) -> Review:
    """Put an answer in the queue of the asker's company (the platform's admins when the
    asker has no one company)."""
    review = Review.objects.create(
        company_id=_review_company(actor, citations or []),
        asker=actor,
        message=message,
        question=question,
        answer=answer,
        citations=citations or [],
        reason=reason,
    )
    audit_create(actor=actor, instance=review, company_id=review.company_id)
    return review


def review_request(*, actor: Any, message_id: UUID | None = None, question: str = "", answer: str = "") -> Review:
    """The user asks a person: for one of their assistant answers (``message_id``: the
    question, answer and citations come from the transcript, never from the request), or
    for a question of their own."""
    if message_id is not None:
        message = selectors.message_get_for_actor(actor=actor, message_id=message_id)
        if message.role != MessageRole.ASSISTANT:
            raise ValidationFailed("Send an answer of the assistant.", errors={"message_id": ["Not an answer."]})
        asked = (
            selectors.session_transcript(session=message.session)
            .filter(role=MessageRole.USER, created_at__lte=message.created_at)
            .exclude(pk=message.pk)
            .last()
        )
        return review_create(
            actor=actor,
            question=asked.content if asked else question,
            answer=message.content,
            citations=message.citations,
            message=message,
        )
    if not question.strip():
        raise ValidationFailed("Say what to review.", errors={"question": ["Give a question or a message_id."]})
    return review_create(actor=actor, question=question, answer=answer)


DECISIONS = {"approve": ReviewStatus.APPROVED, "correct": ReviewStatus.CORRECTED, "reject": ReviewStatus.REJECTED}


@transaction.atomic
def review_decide(
    *, actor: Any, review: Review, decision: str, corrected_answer: str = "", note: str = "", publish: bool = True
) -> Review:
    """A reviewer's decision (approve, correct with a text, reject), which completes the
    review. A correction becomes a knowledge article of the company; the asker is told."""
    from domus.communications.services import notification_create
    from domus.documents.services import article_create

    if not (is_company_staff(actor, review.company_id) if review.company_id else is_company_staff(actor, None)):
        raise PermissionDenied("Only the company's staff review answers.")
    locked = selectors.review_for_update(review.pk)
    if locked.status != ReviewStatus.PENDING:
        raise Conflict("This review is already complete.")
    if decision == "correct" and not corrected_answer.strip():
        raise ValidationFailed("A correction needs its text.", errors={"corrected_answer": ["Required to correct."]})
    before = audit_snapshot(locked)
    locked.status = DECISIONS[decision]
    locked.corrected_answer = corrected_answer if decision == "correct" else ""
    locked.reviewer_note = note
    locked.reviewer = actor
    locked.completed_at = timezone.now()
    if decision == "correct":
        article = article_create(
            actor=actor,
            title=locked.question.strip()[:200] or "Corrected answer",
            body=corrected_answer,
            tags=["review"],
            is_published=publish,
            company_id=locked.company_id,
            source="review",
        )
        locked.article_id = article.pk
    locked.save()
    audit_update(actor=actor, instance=locked, before=before, company_id=locked.company_id)
    bodies = {
        "approve": "A person checked the assistant's answer to your question and approved it.",
        "correct": f"A person corrected the assistant's answer to your question: {corrected_answer}",
        "reject": "A person reviewed the assistant's answer to your question and rejected it.",
    }
    notification_create(
        actor=actor,
        recipient=locked.asker,
        type="assistant.review_completed",
        title="Your question was reviewed",
        body=bodies[decision][:2000],
        data={"review_id": str(locked.pk), "status": locked.status},
    )
    return locked


@transaction.atomic
def feedback_create(
    *,
    actor: Any,
    rating: int,
    comment: str = "",
    kind: str = "answer",
    message_id: UUID | None = None,
    feature: str = "",
) -> Feedback:
    message = selectors.message_get_for_actor(actor=actor, message_id=message_id) if message_id else None
    if kind == "answer" and message is None and not comment.strip():
        raise ValidationFailed(
            "Say which answer.", errors={"message_id": ["Give the answer's message_id or a comment."]}
        )
    feedback = Feedback.objects.create(
        user=actor,
        company_id=default_company_id(actor),
        kind=kind,
        message=message,
        feature=feature,
        rating=rating,
        comment=comment,
    )
    audit_create(actor=actor, instance=feedback, company_id=feedback.company_id)
    return feedback
