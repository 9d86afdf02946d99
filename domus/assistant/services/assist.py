"""Answers: retrieve what the caller may read, run the tools they may use, write the answer
(model or extractive), pin its citations to document versions, and send weak or missing
answers to the review queue. Also chat sessions, their transcripts, and the assist job."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domus.assistant import responders, selectors
from domus.assistant.models import (
    AssistantJob,
    ChatMessage,
    ChatSession,
    JobKind,
    JobStatus,
    MessageRole,
    ReviewReason,
)
from domus.assistant.responders import Prepared
from domus.audit.services import audit_create
from domus.documents import selectors as documents
from domus.integrations.llm import chat_model


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    tool_results: list[dict[str, Any]]
    grounded: bool
    weak_retrieval: bool
    model: str
    review_id: UUID | None = None
    message_id: UUID | None = None
    passages: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": self.citations,
            "tool_results": self.tool_results,
            "grounded": self.grounded,
            "weak_retrieval": self.weak_retrieval,
            "escalation_offered": not self.grounded or self.weak_retrieval,
            "model": self.model,
            "review_id": str(self.review_id) if self.review_id else None,
            "message_id": str(self.message_id) if self.message_id else None,
        }


def citation_of(passage: selectors.Passage) -> dict[str, Any]:
    return {
        "n": passage.n,
        "kind": passage.kind,
        "title": passage.title,
        "document_id": str(passage.document_id) if passage.document_id else None,
        "version_id": str(passage.version_id) if passage.version_id else None,
        "version_number": passage.version_number,
        "article_id": str(passage.article_id) if passage.article_id else None,
        "chunk_id": str(passage.chunk_id),
        "excerpt": passage.text[:300],
    }


def _scope(actor: Any, context: dict[str, Any] | None) -> list[UUID] | None:
    if not context:
        return None
    return documents.version_ids_about(actor=actor, object_type=context["type"], object_id=context["id"])


def prepare(
    *, actor: Any, question: str, context: dict[str, Any] | None = None, history: list[dict[str, str]] | None = None
) -> Prepared:
    """Everything an answer is written from, all read with ``actor``'s permissions."""
    from domus.assistant.tools import call_tool, run_tools

    passages = selectors.passages_for_actor(
        actor=actor, query=question, k=settings.ASSISTANT_TOP_K, version_ids=_scope(actor, context)
    )
    best = max((p.similarity or 0.0 for p in passages), default=0.0)
    keyword_first = bool(passages and passages[0].keyword_rank == 1)
    weak = not passages or (best < settings.ASSISTANT_MIN_SCORE and not keyword_first)
    if chat_model() is not None and getattr(actor, "is_authenticated", False):
        # With a model, the model chooses the tools (function calling); each call runs with
        # the asker's permissions. Offline, the rule-based router runs them up front.
        return Prepared(
            question=question,
            passages=passages,
            tool_results=[],
            weak=weak,
            history=history or [],
            call_tool=lambda name, arguments: call_tool(actor=actor, name=name, arguments=arguments),
        )
    return Prepared(
        question=question,
        passages=passages,
        tool_results=run_tools(actor=actor, question=question),
        weak=weak,
        history=history or [],
    )


def model_name() -> str:
    model = chat_model()
    return model.name if model else "extractive"


def generate(prepared: Prepared) -> Iterator[str]:
    return responders.stream(prepared, chat_model())


def finish(prepared: Prepared, text: str) -> Answer:
    cited = responders.cited(text, prepared.passages)
    grounded = bool(cited) or bool(prepared.tool_results and any(r["results"] for r in prepared.tool_results))
    return Answer(
        answer=text.strip(),
        citations=[citation_of(p) for p in cited],
        tool_results=prepared.tool_results,
        grounded=grounded,
        weak_retrieval=prepared.weak,
        model=model_name(),
    )


def _auto_review(*, actor: Any, answer: Answer, question: str, message: ChatMessage | None = None) -> None:
    """An answer the assistant could not ground goes to the review queue by itself."""
    from domus.assistant.services.reviews import review_create

    if answer.grounded and not answer.weak_retrieval:
        return
    if answer.tool_results and any(r["results"] for r in answer.tool_results):
        return  # a data question answered by a tool
    reason = ReviewReason.NO_ANSWER if not answer.grounded else ReviewReason.WEAK_RETRIEVAL
    review = review_create(
        actor=actor,
        question=question,
        answer=answer.answer,
        citations=answer.citations,
        reason=reason,
        message=message,
    )
    answer.review_id = review.pk


def assist(*, actor: Any, question: str, context: dict[str, Any] | None = None, auto_review: bool = True) -> Answer:
    """Answer one question (``ai/assist``)."""
    prepared = prepare(actor=actor, question=question, context=context)
    answer = finish(prepared, "".join(generate(prepared)))
    if auto_review:
        _auto_review(actor=actor, answer=answer, question=question)
    return answer


def preview(*, actor: Any, question: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The assembled prompt and passages, without calling a model (``ai/assist/preview``)."""
    prepared = prepare(actor=actor, question=question, context=context)
    return {
        "question": question,
        "model": model_name(),
        "messages": responders.prompt_messages(prepared),
        "passages": [citation_of(p) | {"text": p.text, "similarity": p.similarity} for p in prepared.passages],
        "tool_results": prepared.tool_results,
        "tools": [f["function"]["name"] for f in responders.tool_functions()] if prepared.call_tool else [],
        "weak_retrieval": prepared.weak,
    }


# The assist job ---------------------------------------------------------------------------------


@transaction.atomic
def assist_job_start(*, actor: Any, question: str, context: dict[str, Any] | None = None) -> AssistantJob:
    params = {"question": question, "context": {k: str(v) for k, v in context.items()} if context else None}
    job = AssistantJob.objects.create(kind=JobKind.ASSIST, user=actor, params=params)
    audit_create(actor=actor, instance=job)
    job_id = str(job.pk)

    def enqueue() -> None:
        from domus.assistant.tasks import assistant_assist

        assistant_assist.delay(job_id)

    transaction.on_commit(enqueue)
    return job


def assist_job_run(*, job_id: UUID | str) -> AssistantJob:
    """Run an assist job with the permissions of the user who started it."""
    job = AssistantJob.objects.select_related("user").get(pk=job_id)
    AssistantJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    context = job.params.get("context")
    if context:
        context = {"type": context["type"], "id": UUID(context["id"])}
    try:
        answer = assist(actor=job.user, question=job.params["question"], context=context)
    except Exception as exc:
        AssistantJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:300], finished_at=timezone.now()
        )
        raise
    AssistantJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, result=answer.as_dict(), progress=1, total=1, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


# Chat sessions ----------------------------------------------------------------------------------


@transaction.atomic
def session_create(*, actor: Any, title: str = "") -> ChatSession:
    session = ChatSession.objects.create(user=actor, title=title)
    audit_create(actor=actor, instance=session)
    return session


def _history(session: ChatSession) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in selectors.recent_turns(session=session)]


def chat_begin(*, actor: Any, session: ChatSession, content: str) -> tuple[Prepared, ChatMessage]:
    """Save the user's turn and prepare the answer (with the last turns as history)."""
    history = _history(session)
    message = ChatMessage.objects.create(session=session, role=MessageRole.USER, content=content)
    if not session.title:
        ChatSession.objects.filter(pk=session.pk).update(title=content[:200])
    return prepare(actor=actor, question=content, history=history), message


def chat_end(*, actor: Any, session: ChatSession, prepared: Prepared, text: str) -> Answer:
    """Save the assistant's turn with its citations; a weak answer goes to review."""
    answer = finish(prepared, text)
    message = ChatMessage.objects.create(
        session=session,
        role=MessageRole.ASSISTANT,
        content=answer.answer,
        citations=answer.citations,
        tool_results=answer.tool_results,
        grounded=answer.grounded,
    )
    ChatSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    answer.message_id = message.pk
    _auto_review(actor=actor, answer=answer, question=prepared.question, message=message)
    return answer


def chat_reply(*, actor: Any, session: ChatSession, content: str) -> Answer:
    """One whole exchange (the HTTP form of the chat stream)."""
    prepared, _ = chat_begin(actor=actor, session=session, content=content)
    return chat_end(actor=actor, session=session, prepared=prepared, text="".join(generate(prepared)))
