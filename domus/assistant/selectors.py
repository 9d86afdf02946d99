"""Reads of the assistant: retrieval scoped to what the caller may read, jobs, chat
sessions, the review queue and feedback."""

import contextvars
import threading
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import DateTimeField, Q, QuerySet
from django.utils import timezone

from domus.assistant import retrieval
from domus.assistant.models import AssistantJob, ChatMessage, ChatSession, Chunk, Feedback, Review
from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.documents import selectors as documents
from domus.integrations.embeddings import Embedder, embedder
from domus.organizations.selectors import staff_company_ids


@dataclass
class Passage:
    """One retrieved passage and the source a citation pins it to."""

    n: int
    chunk_id: UUID
    kind: str
    title: str
    text: str
    version_id: UUID | None = None
    document_id: UUID | None = None
    version_number: int | None = None
    article_id: UUID | None = None
    similarity: float | None = None
    keyword_rank: int | None = None
    vector_rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def readable_sources(actor: Any) -> tuple[list[UUID], list[UUID]]:
    """The document versions and published articles ``actor`` may read: the same selectors
    as the document and article lists."""
    version_ids = documents.current_version_ids_readable_by(actor)
    article_ids = list(documents.article_ids_readable_by(actor).order_by().values_list("pk", flat=True))
    return version_ids, article_ids


# The caller and the time the readable statement is compiled with, found again among its
# parameters and replaced by the real ones on each question.
_PLACEHOLDER_USER = UUID("00000000-d0d0-4d0d-8d0d-00000000a551")
_PLACEHOLDER_NOW = datetime(2999, 12, 31, 23, 59, 58, 123457, tzinfo=UTC)


@dataclass(frozen=True)
class _ReadableStatement:
    """The readable-set statement of one shape (every source for an admin, the rule's
    subqueries for anyone else) on one database, and where its caller and time go."""

    sql: str
    params: tuple[Any, ...]
    user_slots: tuple[int, ...]
    now_slots: tuple[int, ...]


User = get_user_model()
_DATETIME = DateTimeField()  # prepares a time as every datetime column's lookups do
_readable_statements: dict[tuple[str, str, bool], _ReadableStatement] = {}


def _user_value(user_id: Any) -> Any:
    return User._meta.pk.get_db_prep_value(user_id, connection)


def _now_value(now: datetime) -> Any:
    return _DATETIME.get_db_prep_value(now, connection)


def _compile_readable(actor: Any, admin: bool) -> _ReadableStatement:
    """Build the readable-set querysets once, for a stand-in caller of the same shape
    (admin or not) and a stand-in time, and note where those two appear in the parameters."""
    stand_in = actor if admin else User(pk=_PLACEHOLDER_USER, role=actor.role, is_superuser=False)
    versions = documents.current_versions_readable_by(stand_in, now=_PLACEHOLDER_NOW, one_statement=True)
    articles = documents.article_ids_readable_by(stand_in, one_statement=True).order_by()
    sql, params = retrieval.readable_statement(versions, articles)
    user, now = _user_value(_PLACEHOLDER_USER), _now_value(_PLACEHOLDER_NOW)
    user_slots = tuple(n for n, value in enumerate(params) if value == user)
    now_slots = tuple(n for n, value in enumerate(params) if value == now)
    if not admin and not (user_slots and now_slots):  # the rule changed shape: refuse rather than guess
        raise RuntimeError("The readable-set statement does not name its caller and time.")
    return _ReadableStatement(sql, tuple(params), user_slots, now_slots)


def readable_source_keys(actor: Any) -> tuple[list[str], list[str]]:
    """``readable_sources`` as 32-digit hex ids, read in one statement (what retrieval uses).

    The rule is the document list's (``current_versions_readable_by``) and the article
    list's, with the caller's companies as subqueries, so the whole set is one statement
    whose only inputs are the caller and the time. Django builds and compiles it once per
    shape and database; each question binds the caller and ``now`` and runs it, so a
    change of membership, lease, share or document counts on the very next question
    (nothing readable is cached)."""
    if not getattr(actor, "is_authenticated", False):
        return [], []
    admin = is_admin(actor)
    key = (connection.alias, connection.vendor, admin)
    statement = _readable_statements.get(key)
    if statement is None:
        statement = _readable_statements[key] = _compile_readable(actor, admin)
    params = list(statement.params)
    user = _user_value(actor.pk)
    for slot in statement.user_slots:
        params[slot] = user
    now = _now_value(timezone.now())
    for slot in statement.now_slots:
        params[slot] = now
    return retrieval.readable_rows(statement.sql, params)


def passages_for_actor(
    *, actor: Any, query: str, k: int = 5, model: Embedder | None = None, version_ids: list[UUID] | None = None
) -> list[Passage]:
    """The ``k`` best passages for ``query`` among those ``actor`` may read (hybrid: vector
    and keyword rankings fused by reciprocal rank). ``version_ids`` narrows to some
    readable versions (a question about one document)."""
    if not query.strip() or not getattr(actor, "is_authenticated", False):
        return []
    model = model or embedder()
    # Two threads. This one runs the statements (the readable set, then the keyword half),
    # each mostly the database's time; the helper embeds the query meanwhile and, once the
    # readable set is known, runs the NumPy vector half while the keyword statement runs.
    # Nothing is ranked before the readable set is known; the helper computes only the
    # query's vector before that (a caller who reads nothing pays that vector, unawaited).
    sources_known: Future[dict[str, Any] | None] = Future()
    vector_half = _Helper(_vector_half, model, query, sources_known)
    try:
        readable_versions, readable_articles = readable_source_keys(actor)
        if version_ids is not None:
            allowed = {version_id.hex for version_id in version_ids}
            readable_versions = [v for v in readable_versions if v in allowed]
            readable_articles = []
        if not (readable_versions or readable_articles):
            return []  # the helper stops after the query's vector (``finally``), unawaited
        sources = {"model_id": model.model_id, "version_keys": readable_versions, "article_keys": readable_articles}
        sources_known.set_result({**sources, "index": retrieval.matrix(model.model_id)})
        keyword = retrieval.keyword_ranking(query=query, **sources)
    finally:
        if not sources_known.done():
            sources_known.set_result(None)
    vector = vector_half.result()
    fused = retrieval.fuse(vector, keyword)[:k]
    rows = retrieval.describe([chunk_id for chunk_id, _ in fused])
    similarity = dict(vector)
    vector_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(vector, start=1)}
    keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(keyword, start=1)}
    cited_versions = [r["version_id"] for r in rows.values() if r["version_id"]]
    cited_articles = [r["article_id"] for r in rows.values() if r["article_id"]]
    version_info = documents.version_sources(cited_versions) if cited_versions else {}
    article_info = documents.article_sources(cited_articles) if cited_articles else {}
    passages = []
    for chunk_id, _score in fused:
        row = rows.get(chunk_id)
        if row is None:  # replaced since it was ranked
            continue
        info = version_info.get(row["version_id"]) or article_info.get(row["article_id"]) or {}
        passages.append(
            Passage(
                n=len(passages) + 1,
                chunk_id=chunk_id,
                kind=row["kind"],
                title=info.get("title", ""),
                text=row["text"],
                version_id=row["version_id"],
                document_id=info.get("document_id"),
                version_number=info.get("number"),
                article_id=row["article_id"],
                similarity=round(similarity[chunk_id], 4) if chunk_id in similarity else None,
                keyword_rank=keyword_rank.get(chunk_id),
                vector_rank=vector_rank.get(chunk_id),
            )
        )
    return passages


def _vector_half(model: Embedder, query: str, sources_known: "Future[dict[str, Any] | None]") -> list:
    """The helper thread's part of a question: the query's vector, then (once the readable
    sources are known, ``None`` when the question stops there) the vector ranking."""
    query_vector = retrieval.embed_query(model, query)
    sources = sources_known.result()
    if sources is None:
        return []
    return retrieval.vector_ranking(query_vector=query_vector, **sources)


class _Helper:
    """``function(*args)`` on a thread of its own, started at once; ``result()`` waits for
    it and returns its value or raises what it raised. One short thread per question (no
    shared pool: a question never waits behind another question's work). The helper never
    touches the database, so it needs no connection of its own."""

    def __init__(self, function: Any, *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = function(*args)
            except BaseException as error:  # handed back to the caller by result()
                self._error = error

        # In a copy of the caller's context: its log fields (the request id) carry over.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(run,), name="assistant-vector-half", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def citations_readable_by(actor: Any, citations: list[dict[str, Any]]) -> bool:
    """Whether ``actor`` may read every source ``citations`` name (a stored answer is shown
    to someone else - a reviewer - only then)."""
    version_ids = {UUID(str(c["version_id"])) for c in citations if c.get("version_id")}
    article_ids = {UUID(str(c["article_id"])) for c in citations if c.get("article_id")}
    if version_ids:
        readable = documents.version_ids_readable_by(actor).filter(pk__in=version_ids).count()
        if readable != len(version_ids):
            return False
    if article_ids:
        readable = documents.article_ids_readable_by(actor).filter(pk__in=article_ids).count()
        if readable != len(article_ids):
            return False
    return True


def index_stats() -> dict[str, Any]:
    return {
        "chunks": Chunk.objects.count(),
        "generation": retrieval.index_generation(),
        "models": sorted(set(Chunk.objects.values_list("model_id", flat=True).distinct())),
    }


# Jobs -----------------------------------------------------------------------------------------


def job_get_for_actor(*, actor: Any, job_id: UUID) -> AssistantJob:
    """A job, read only by the user who started it (its result was computed with their rights)."""
    job = AssistantJob.objects.filter(pk=job_id, user_id=getattr(actor, "pk", None)).first()
    if job is None:
        raise NotFound("Job not found.")
    return job


# Chat sessions ---------------------------------------------------------------------------------


def session_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[ChatSession]:
    return filter_list(
        ChatSession.objects.filter(user_id=actor.pk),
        filters,
        search_fields=["title"],
        ordering_fields=["created_at", "updated_at"],
    )


def session_get_for_actor(*, actor: Any, session_id: UUID) -> ChatSession:
    """A chat session, only to its own user (a transcript is private)."""
    session = ChatSession.objects.filter(pk=session_id, user_id=getattr(actor, "pk", None)).first()
    if session is None:
        raise NotFound("Chat session not found.")
    return session


def session_transcript(*, session: ChatSession) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(session=session).order_by("created_at", "id")


def message_get_for_actor(*, actor: Any, message_id: UUID) -> ChatMessage:
    message = ChatMessage.objects.filter(pk=message_id, session__user_id=getattr(actor, "pk", None)).first()
    if message is None:
        raise NotFound("Message not found.")
    return message


def recent_turns(*, session: ChatSession, limit: int = 6) -> list[ChatMessage]:
    return list(reversed(ChatMessage.objects.filter(session=session).order_by("-created_at", "-id")[:limit]))


# Reviews ----------------------------------------------------------------------------------------


def review_visible_to(actor: Any) -> QuerySet[Review]:
    """Reviewers (company staff) see their companies' queue, admins every queue, askers
    their own requests."""
    queryset = Review.objects.all()
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(Q(company_id__in=staff_company_ids(actor)) | Q(asker_id=actor.pk))


def review_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Review]:
    return filter_list(
        review_visible_to(actor),
        filters,
        exact_fields=("status", "reason", "company_id"),
        search_fields=["question"],
        ordering_fields=["created_at", "updated_at"],
    )


def review_get_for_actor(*, actor: Any, review_id: UUID) -> Review:
    review = review_visible_to(actor).filter(pk=review_id).first()
    if review is None:
        raise NotFound("Review not found.")
    return review


def review_for_update(review_id: UUID) -> Review:
    return Review.objects.select_for_update().get(pk=review_id)


# Feedback ---------------------------------------------------------------------------------------


def feedback_visible_to(actor: Any) -> QuerySet[Feedback]:
    """Staff read their companies' feedback, admins all, users their own."""
    queryset = Feedback.objects.all()
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(Q(company_id__in=staff_company_ids(actor)) | Q(user_id=actor.pk))


def feedback_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Feedback]:
    return filter_list(
        feedback_visible_to(actor),
        filters,
        exact_fields=("kind", "rating"),
        search_fields=["comment", "feature"],
        ordering_fields=["created_at", "rating"],
    )


def feedback_export_rows(*, actor: Any) -> QuerySet[Feedback]:
    """What a staff member exports: their companies' feedback (admins: all)."""
    queryset = (
        Feedback.objects.all() if is_admin(actor) else Feedback.objects.filter(company_id__in=staff_company_ids(actor))
    )
    return queryset.select_related("user").order_by("created_at", "id")


def chat_engagement(*, scope: Any, period: Any) -> dict[str, int]:
    """The assistant's use during ``period`` by the people in ``scope`` (a platform: every
    user; companies: their members; an agent or owner: themselves): sessions started,
    people, questions asked, answers given and answers without a grounding (one query)."""
    from django.db.models import Count

    messages = ChatMessage.objects.filter(period.q("created_at"))
    if scope.kind == "companies":
        messages = messages.filter(session__user__memberships__company_id__in=sorted(scope.company_ids))
    elif scope.kind != "platform":
        messages = messages.filter(session__user_id=scope.user_id)
    return messages.order_by().aggregate(
        sessions=Count("session_id", distinct=True),
        users=Count("session__user_id", distinct=True),
        questions=Count("pk", filter=Q(role="user"), distinct=True),
        answers=Count("pk", filter=Q(role="assistant"), distinct=True),
        ungrounded=Count("pk", filter=Q(role="assistant", grounded=False), distinct=True),
    )
