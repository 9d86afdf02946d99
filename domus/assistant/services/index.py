"""The index: passages of the current version of every live document and of every
published knowledge article, embedded by the configured model. The passages of one source
are replaced in one transaction (embedding happens before it, so readers never see a
half-replaced source), and the index generation is bumped so every process reloads its
vectors."""

import time
from typing import Any
from uuid import UUID, uuid4

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from domus.assistant import retrieval
from domus.assistant.models import AssistantJob, Chunk, IndexState, JobStatus, SourceKind
from domus.audit.services import audit_record
from domus.documents import selectors as documents
from domus.integrations.embeddings import Embedder, embedder, split_windows

REINDEX_GROUP = 16  # sources embedded together by the reindex job (a few batches of the model)


def _bump_generation() -> None:
    IndexState.objects.get_or_create(pk=1)
    IndexState.objects.filter(pk=1).update(generation=F("generation") + 1, stamp=uuid4())


def _replace(*, remove: Any, add: list[Chunk]) -> int:
    """Delete the passages ``remove`` selects and insert ``add``, in one transaction."""
    with transaction.atomic():
        removed = list(remove.values_list("pk", flat=True))
        if removed:
            Chunk.objects.filter(pk__in=removed).delete()
        Chunk.objects.bulk_create(add, batch_size=500)
        retrieval.fts_replace(removed=removed, added=add)
        _bump_generation()
    return len(add)


def _build(source: dict[str, Any], kind: str, windows: list[str], vectors: np.ndarray, model_id: str) -> list[Chunk]:
    return [
        Chunk(
            kind=kind,
            version_id=source.get("version_id"),
            article_id=source.get("article_id"),
            ordinal=ordinal,
            text=window,
            model_id=model_id,
            dimension=vectors.shape[1],
            vector=np.ascontiguousarray(vector, dtype=np.float32).tobytes(),
        )
        for ordinal, (window, vector) in enumerate(zip(windows, vectors, strict=True))
    ]


def _embedded_text(source: dict[str, Any], window: str) -> str:
    return f"{source['title']}\n{window}"


def _chunks(source: dict[str, Any], kind: str, model: Embedder) -> list[Chunk]:
    windows = split_windows(source["text"])
    if not windows:
        return []
    vectors = model.embed([_embedded_text(source, window) for window in windows])
    return _build(source, kind, windows, vectors, model.model_id)


def _version_passages(source: dict[str, Any]) -> Any:
    return Chunk.objects.filter(version_id__in=documents.document_version_ids(source["document_id"]))


def index_many(*, sources: list[tuple[str, UUID]], model: Embedder) -> int:
    """(Re)index several sources with one run of the model over all their passages (larger
    batches: the reindex job's throughput), then replace each source's passages in its own
    transaction, as ``index_version`` and ``index_article`` do."""
    current: list[tuple[str, dict[str, Any], list[str]]] = []
    count = 0
    for kind, source_id in sources:
        if kind == SourceKind.VERSION:
            source = documents.version_index_source(source_id)
            if source is not None and not source["current"]:
                count += index_version(version_id=source_id, model=model)
                continue
        else:
            source = documents.article_index_source(source_id)
            if source is not None and not source["current"]:
                count += index_article(article_id=source_id, model=model)
                continue
        if source is not None:
            current.append((kind, source, split_windows(source["text"])))
    texts = [_embedded_text(source, window) for _, source, windows in current for window in windows]
    vectors = model.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    position = 0
    for kind, source, windows in current:
        part = vectors[position : position + len(windows)]
        position += len(windows)
        add = _build(source, kind, windows, part, model.model_id) if windows else []
        if kind == SourceKind.VERSION:
            count += _replace(remove=_version_passages(source), add=add)
        else:
            count += _replace(remove=Chunk.objects.filter(article_id=source["article_id"]), add=add)
    return count


def index_version(*, version_id: UUID, model: Embedder | None = None) -> int:
    """(Re)index a document version; an old or deleted version is taken out. The passages of
    the document's other versions go in the same transaction (citations name the current one)."""
    source = documents.version_index_source(version_id)
    if source is None:
        return 0
    others = _version_passages(source)
    if not source["current"]:
        return _replace(remove=others.filter(version_id=version_id), add=[])
    return _replace(remove=others, add=_chunks(source, SourceKind.VERSION, model or embedder()))


def index_article(*, article_id: UUID, model: Embedder | None = None) -> int:
    source = documents.article_index_source(article_id)
    existing = Chunk.objects.filter(article_id=article_id)
    if source is None or not source["current"]:
        return _replace(remove=existing, add=[])
    return _replace(remove=existing, add=_chunks(source, SourceKind.ARTICLE, model or embedder()))


def index_document(*, document_id: UUID) -> int:
    """Follow a document change: index its current version, or forget it when deleted."""
    current = documents.document_current_version_id(document_id)
    if current is None:
        return _replace(remove=Chunk.objects.filter(version_id__in=documents.document_version_ids(document_id)), add=[])
    return index_version(version_id=current)


def _push_progress(job: AssistantJob) -> None:
    from domus.communications import realtime

    realtime.send_now(
        ml_group(job.user_id),
        {
            "type": "job",
            "job_id": str(job.pk),
            "kind": job.kind,
            "status": job.status,
            "progress": job.progress,
            "total": job.total,
        },
    )


def ml_group(user_id: Any) -> str:
    return f"ml.{user_id}"


@transaction.atomic
def reindex_start(*, actor: Any) -> AssistantJob:
    """Queue a rebuild of the whole index (a Celery job; progress on ``ml/stream``)."""
    job = AssistantJob.objects.create(kind="reindex", user=actor)
    audit_record(actor=actor, action="reindex", resource_type="assistant.assistantjob", resource_id=job.pk)
    job_id = str(job.pk)

    def enqueue() -> None:
        from domus.assistant.tasks import assistant_reindex

        assistant_reindex.delay(job_id)

    transaction.on_commit(enqueue)
    return job


def reindex_run(*, job_id: UUID | str) -> AssistantJob:
    """Rebuild every source with the current model, then drop the passages of any other
    model (a model change rebuilds the whole index). Sources are embedded ``REINDEX_GROUP``
    at a time (one run of the model over all their passages); progress is saved and pushed
    after each group."""
    job = AssistantJob.objects.get(pk=job_id)
    model = embedder()
    version_ids = list(documents.current_version_ids())
    article_ids = list(documents.published_article_ids())
    AssistantJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, total=len(version_ids) + len(article_ids), progress=0
    )
    job.refresh_from_db()
    _push_progress(job)
    started, cpu_started, chunks = time.monotonic(), time.process_time(), 0
    sources = [(SourceKind.VERSION, v) for v in version_ids] + [(SourceKind.ARTICLE, a) for a in article_ids]
    try:
        for start in range(0, len(sources), REINDEX_GROUP):
            group = sources[start : start + REINDEX_GROUP]
            chunks += index_many(sources=group, model=model)
            _progress(job, start + len(group))
        _replace(remove=Chunk.objects.exclude(model_id=model.model_id), add=[])
        # Passages of versions no longer current (or of deleted documents) go too.
        _replace(remove=Chunk.objects.filter(kind=SourceKind.VERSION).exclude(version_id__in=version_ids), add=[])
        _replace(remove=Chunk.objects.filter(kind=SourceKind.ARTICLE).exclude(article_id__in=article_ids), add=[])
    except Exception as exc:
        AssistantJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:300], finished_at=timezone.now()
        )
        job.refresh_from_db()
        _push_progress(job)
        raise
    seconds = time.monotonic() - started
    cpu_seconds = time.process_time() - cpu_started
    AssistantJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        result={
            "sources": len(version_ids) + len(article_ids),
            "chunks": chunks,
            "seconds": round(seconds, 3),
            "chunks_per_second": round(chunks / seconds, 1) if seconds else None,
            "cpu_seconds": round(cpu_seconds, 3),
            "chunks_per_cpu_second": round(chunks / cpu_seconds, 1) if cpu_seconds else None,
            "model_id": model.model_id,
        },
    )
    job.refresh_from_db()
    _push_progress(job)
    return job


def _progress(job: AssistantJob, position: int) -> None:
    AssistantJob.objects.filter(pk=job.pk).update(progress=position, updated_at=timezone.now())
    job.progress = position
    _push_progress(job)
