"""Hybrid retrieval over the passages a caller may read.

The permission filter comes first: the readable sources (document version ids from
``documents.selectors.version_ids_readable_by`` - the same rule as the document list - and
readable published articles) are resolved before anything is ranked, and both halves rank
only those:

- the vector half: exact cosine search in NumPy over an in-memory float32 matrix of every
  passage of the current model, with unreadable rows masked out before the top-k is taken
  (each process reloads the matrix when ``IndexState`` generation and stamp moved);
- the keyword half: PostgreSQL full text (a stored ``tsvector`` column, ``simple``
  configuration, so invoice numbers and names stay whole) or SQLite FTS5 (BM25), its
  query restricted to the readable passages;

fused by reciprocal rank (k = 60)."""

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import numpy as np
from django.db import connection

from domus.assistant.models import Chunk, IndexState, SourceKind

RRF_K = 60
CANDIDATES = 50
KEYWORD_POOL = 2000
FTS_TABLE = "assistant_chunk_fts"
_WORD = re.compile(r"[\w][\w\-/.]*[\w]|[\w]", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "am",
        "been",
        "did",
        "get",
        "got",
        "may",
        "must",
        "not",
        "any",
        "all",
        "about",
        "into",
        "than",
        "then",
        "these",
        "those",
        "being",
    ]
)


def query_terms(text: str, *, limit: int = 16) -> list[str]:
    """The content words of a query, lowercased, without stop words, in order, once each."""
    seen: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS and word not in seen and (len(word) > 1 or word.isdigit()):
            seen.append(word)
    return seen[:limit]


@dataclass
class _Matrix:
    generation: Any = None
    model_id: str = ""
    ids: list[UUID] = field(default_factory=list)
    sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    source_codes: dict[tuple[str, UUID], int] = field(default_factory=dict)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))


_matrix = _Matrix()
_matrix_lock = threading.Lock()


def index_generation() -> int:
    state = IndexState.objects.filter(pk=1).values_list("generation", flat=True).first()
    return state or 0


def index_version_key() -> tuple[int, UUID | None]:
    """The generation and stamp of the index: a process's copy is current while both match."""
    return IndexState.objects.filter(pk=1).values_list("generation", "stamp").first() or (0, None)


def _load(model_id: str, generation: Any) -> _Matrix:
    rows = Chunk.objects.filter(model_id=model_id).values_list("id", "version_id", "article_id", "vector", "dimension")
    ids: list[UUID] = []
    codes: dict[tuple[str, UUID], int] = {}
    sources: list[int] = []
    blobs: list[bytes] = []
    dimension = 0
    for chunk_id, version_id, article_id, vector, dim in rows.iterator(chunk_size=5000):
        key = (SourceKind.VERSION, version_id) if version_id else (SourceKind.ARTICLE, article_id)
        sources.append(codes.setdefault(key, len(codes)))
        ids.append(chunk_id)
        blobs.append(bytes(vector))
        dimension = dim
    vectors = (
        np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), dimension)
        if ids
        else np.zeros((0, 1), dtype=np.float32)
    )
    return _Matrix(generation, model_id, ids, np.asarray(sources, dtype=np.int64), codes, vectors)


def matrix(model_id: str) -> _Matrix:
    """The in-memory vectors of ``model_id``, reloaded when the index changed."""
    global _matrix
    generation = index_version_key()
    current = _matrix
    if current.generation == generation and current.model_id == model_id:
        return current
    with _matrix_lock:
        if _matrix.generation != generation or _matrix.model_id != model_id:
            _matrix = _load(model_id, generation)
        return _matrix


def vector_ranking(
    *,
    query_vector: np.ndarray,
    model_id: str,
    version_ids: list[UUID],
    article_ids: list[UUID],
    limit: int = CANDIDATES,
) -> list[tuple[UUID, float]]:
    """``(chunk id, cosine)`` of the best readable passages, best first."""
    current = matrix(model_id)
    if not current.ids:
        return []
    allowed = [current.source_codes[key] for key in _keys(version_ids, article_ids) if key in current.source_codes]
    if not allowed:
        return []
    readable = np.isin(current.sources, np.asarray(allowed, dtype=np.int64))
    # Every row is scored in place (no copy of the matrix), then the unreadable ones are
    # masked out before the top-k is taken: they can never be ranked.
    scores = current.vectors @ query_vector.astype(np.float32)
    scores[~readable] = -np.inf
    take = min(limit, int(readable.sum()))
    best = np.argpartition(-scores, take - 1)[:take]
    best = best[np.argsort(-scores[best])]
    return [(current.ids[i], float(scores[i])) for i in best]


def _keys(version_ids: list[UUID], article_ids: list[UUID]) -> list[tuple[str, UUID]]:
    return [(SourceKind.VERSION, v) for v in version_ids] + [(SourceKind.ARTICLE, a) for a in article_ids]


def _readable_chunks(model_id: str, version_ids: list[UUID], article_ids: list[UUID]):
    from django.db.models import Q

    return Chunk.objects.filter(Q(version_id__in=version_ids) | Q(article_id__in=article_ids), model_id=model_id)


def keyword_ranking(
    *, query: str, model_id: str, version_ids: list[UUID], article_ids: list[UUID], limit: int = CANDIDATES
) -> list[tuple[UUID, float]]:
    """``(chunk id, rank)`` of the readable passages matching the query's words, best first."""
    terms = query_terms(query)
    if not terms or not (version_ids or article_ids):
        return []
    readable_sql, readable_params = (
        _readable_chunks(model_id, version_ids, article_ids).values("id").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tsquery = " || ".join(["plainto_tsquery('simple', %s)"] * len(terms))
            # At most KEYWORD_POOL matching passages are ranked: a rare term (an invoice
            # number, a name) matches few and is ranked exactly; a word in every passage
            # adds little to the keyword half and would cost a rank of each.
            cursor.execute(
                f"WITH q AS (SELECT {tsquery} AS query), "  # noqa: S608
                f"hits AS (SELECT c.id, c.search_vector FROM assistant_chunk c, q "
                f"WHERE c.search_vector @@ q.query AND c.id IN ({readable_sql}) LIMIT %s) "
                "SELECT hits.id, ts_rank_cd(hits.search_vector, q.query) AS rank FROM hits, q "
                "ORDER BY rank DESC, hits.id LIMIT %s",
                [*terms, *readable_params, KEYWORD_POOL, limit],
            )
            return [(UUID(str(row[0])), float(row[1])) for row in cursor.fetchall()]
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        cursor.execute(
            f"SELECT chunk_id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s AND chunk_id IN ({readable_sql}) ORDER BY rank LIMIT %s",
            [match, *readable_params, limit],
        )
        return [(UUID(row[0]), -float(row[1])) for row in cursor.fetchall()]


def fts_replace(*, removed: list[UUID], added: list[tuple[UUID, str]]) -> None:
    """Keep SQLite's FTS5 table in step with the passages (PostgreSQL indexes the column itself)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for start in range(0, len(removed), 500):
            part = [chunk_id.hex for chunk_id in removed[start : start + 500]]
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE chunk_id IN ({', '.join(['%s'] * len(part))})",  # noqa: S608
                part,
            )
        if added:
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (text, chunk_id) VALUES (%s, %s)",  # noqa: S608
                [(text, chunk_id.hex) for chunk_id, text in added],
            )


def fuse(*rankings: list[tuple[UUID, float]], k: int = RRF_K) -> list[tuple[UUID, float]]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to the passages it ranks."""
    scores: dict[UUID, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _score) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], str(item[0])))


def describe(chunk_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = Chunk.objects.filter(pk__in=chunk_ids).values("id", "kind", "version_id", "article_id", "ordinal", "text")
    return {row["id"]: row for row in rows}
