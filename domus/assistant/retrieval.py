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

import json
import re
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import numpy as np
from django.db import connection

from domus.assistant.models import Chunk, IndexState, SourceKind

RRF_K = 60
CANDIDATES = 50
KEYWORD_POOL = 400
SPARSE_SHARE = 4  # gather the readable rows when they are under a quarter of the matrix
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
    """The vectors of one model, one contiguous float32 row per passage, with each row's
    source (a small integer code per document version or article). ``order`` lists the rows
    grouped by source and ``starts[code]:starts[code + 1]`` is that source's slice of it, so
    the rows of a readable set are found without scanning the matrix."""

    generation: Any = None
    model_id: str = ""
    ids: list[UUID] = field(default_factory=list)
    sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    source_codes: dict[tuple[str, UUID], int] = field(default_factory=dict)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    def rows_of(self, codes: np.ndarray) -> np.ndarray:
        """The row numbers of the passages of the sources ``codes``, ascending."""
        if not len(codes):
            return np.zeros(0, dtype=np.int64)
        lengths = self.starts[codes + 1] - self.starts[codes]
        total = int(lengths.sum())
        # Concatenated ranges without a Python loop: offsets within each range plus its start.
        ends = np.cumsum(lengths)
        positions = np.arange(total, dtype=np.int64) - np.repeat(ends - lengths, lengths)
        return np.sort(self.order[np.repeat(self.starts[codes], lengths) + positions])


_matrix = _Matrix()
_matrix_lock = threading.Lock()


_embedding_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="domus-embed")
_embedding_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_embedding_cache_lock = threading.Lock()
EMBEDDING_CACHE_SIZE = 1024


def embed_query(model: Any, query: str) -> np.ndarray:
    """The query's vector, from a small per-process LRU cache keyed by model and text (a
    chat repeats questions; the model is deterministic)."""
    key = (model.model_id, query)
    with _embedding_cache_lock:
        cached = _embedding_cache.get(key)
        if cached is not None:
            _embedding_cache.move_to_end(key)
            return cached
    vector = model.embed([query])[0]
    with _embedding_cache_lock:
        _embedding_cache[key] = vector
        while len(_embedding_cache) > EMBEDDING_CACHE_SIZE:
            _embedding_cache.popitem(last=False)
    return vector


def embed_query_async(model: Any, query: str) -> Future:
    """``embed_query`` on a worker thread (the caller meanwhile queries the database)."""
    return _embedding_pool.submit(embed_query, model, query)


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
    return build_matrix(generation, model_id, ids, np.asarray(sources, dtype=np.int64), codes, vectors)


def build_matrix(
    generation: Any,
    model_id: str,
    ids: list[UUID],
    sources: np.ndarray,
    codes: dict[tuple[str, UUID], int],
    vectors: np.ndarray,
) -> _Matrix:
    """The in-memory index of the rows ``vectors`` (``sources[i]`` the code of row i's source)."""
    order = np.argsort(sources, kind="stable")
    starts = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(sources, minlength=len(codes)), out=starts[1:])
    return _Matrix(generation, model_id, ids, sources, codes, vectors, order, starts)


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
    codes = current.source_codes
    allowed = np.fromiter(
        (code for key in _keys(version_ids, article_ids) if (code := codes.get(key)) is not None), dtype=np.int64
    )
    if not len(allowed):
        return []
    query = query_vector.astype(np.float32)
    readable_rows = int((current.starts[allowed + 1] - current.starts[allowed]).sum())
    if readable_rows * SPARSE_SHARE < len(current.ids):
        # A small readable set (a tenant's lease, an owner's properties): only its rows are
        # gathered and scored; the others are never touched.
        rows = current.rows_of(allowed)
        scores = current.vectors[rows] @ query
    else:
        # A large one (staff): every row is scored in place (no copy of the matrix), then
        # the unreadable rows are masked out before the top-k is taken.
        readable = np.zeros(len(codes), dtype=bool)
        readable[allowed] = True
        rows = None
        scores = current.vectors @ query
        scores[~readable[current.sources]] = -np.inf
    take = min(limit, readable_rows)
    best = np.argpartition(-scores, take - 1)[:take]
    best = best[np.argsort(-scores[best], kind="stable")]
    if rows is not None:
        return [(current.ids[rows[i]], float(scores[i])) for i in best]
    return [(current.ids[i], float(scores[i])) for i in best]


def _keys(version_ids: list[UUID], article_ids: list[UUID]) -> list[tuple[str, UUID]]:
    return [(SourceKind.VERSION, v) for v in version_ids] + [(SourceKind.ARTICLE, a) for a in article_ids]


def keyword_ranking(
    *, query: str, model_id: str, version_ids: list[UUID], article_ids: list[UUID], limit: int = CANDIDATES
) -> list[tuple[UUID, float]]:
    """``(chunk id, rank)`` of the readable passages matching the query's words, best first.

    The readable sources are one parameter of the query (a PostgreSQL array, a JSON list on
    SQLite), tested on each matching row before anything is ranked. The ranking is bounded:
    the passages holding every word come first (an index intersection, few rows), then those
    holding any of them, at most ``KEYWORD_POOL`` of which are ranked, so a word found in a
    large share of the index costs a bounded number of rows, while a rare word (an invoice
    number, a name) matches few passages and is always ranked exactly."""
    terms = query_terms(query)
    if not terms or not (version_ids or article_ids):
        return []
    search = _pg_keyword if connection.vendor == "postgresql" else _sqlite_keyword
    found = search(terms, every=True, model_id=model_id, version_ids=version_ids, article_ids=article_ids, limit=limit)
    if len(terms) > 1 and len(found) < limit:
        seen = {chunk_id for chunk_id, _ in found}
        more = search(
            terms,
            every=False,
            model_id=model_id,
            version_ids=version_ids,
            article_ids=article_ids,
            limit=limit + len(found),
        )
        found += [(chunk_id, rank) for chunk_id, rank in more if chunk_id not in seen][: limit - len(found)]
    return found


def _pg_keyword(
    terms: list[str], *, every: bool, model_id: str, version_ids: list[UUID], article_ids: list[UUID], limit: int
) -> list[tuple[UUID, float]]:
    joiner = " && " if every else " || "
    tsquery = joiner.join(["plainto_tsquery('simple', %s)"] * len(terms))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q AS (SELECT {tsquery} AS query), "  # noqa: S608
            "hits AS (SELECT c.id, c.search_vector FROM assistant_chunk c, q "
            "WHERE c.search_vector @@ q.query AND c.model_id = %s "
            "AND (c.version_id = ANY(%s::uuid[]) OR c.article_id = ANY(%s::uuid[])) LIMIT %s) "
            "SELECT hits.id, ts_rank_cd(hits.search_vector, q.query) AS rank FROM hits, q "
            "ORDER BY rank DESC, hits.id LIMIT %s",
            [*terms, model_id, list(version_ids), list(article_ids), KEYWORD_POOL, limit],
        )
        return [(UUID(str(row[0])), float(row[1])) for row in cursor.fetchall()]


def _sqlite_keyword(
    terms: list[str], *, every: bool, model_id: str, version_ids: list[UUID], article_ids: list[UUID], limit: int
) -> list[tuple[UUID, float]]:
    match = (" AND " if every else " OR ").join('"' + term.replace('"', '""') + '"' for term in terms)
    readable = json.dumps([source.hex for source in (*version_ids, *article_ids)])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chunk_id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s AND model_id = %s "
            "AND source IN (SELECT value FROM json_each(%s)) ORDER BY rank LIMIT %s",
            [match, model_id, readable, limit],
        )
        return [(UUID(row[0]), -float(row[1])) for row in cursor.fetchall()]


def fts_replace(*, removed: list[UUID], added: list[Chunk]) -> None:
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
                f"INSERT INTO {FTS_TABLE} (text, chunk_id, source, model_id) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [
                    (chunk.text, chunk.pk.hex, (chunk.version_id or chunk.article_id).hex, chunk.model_id)
                    for chunk in added
                ],
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
