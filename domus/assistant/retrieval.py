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
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from domus.assistant.models import Chunk, IndexState, SourceKind

RRF_K = 60
CANDIDATES = 50
KEYWORD_POOL = 400
SPARSE_SHARE = 4  # gather the readable rows when they are under a quarter of the matrix
MAX_RUNS = 64  # score a readable set in place when its rows are at most this many runs
FTS_TABLE = "assistant_chunk_fts"
ID_DTYPE = np.dtype("V16")
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
    """The vectors of one model, one contiguous float32 row per passage. The rows are grouped
    by source (a document version or an article, each given a small integer code) and the
    sources by company, so ``starts[code]:starts[code + 1]`` are the rows of one source and
    the sources a staff member reads are mostly one run of rows: the vector half scores a
    readable set as a few slices of the matrix (no copy) instead of every row."""

    generation: Any = None
    model_id: str = ""
    # Each row's chunk id as 16 raw bytes: one array, not 100,000 UUID objects for the
    # garbage collector to walk on every full collection (a pause in the middle of a question).
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=ID_DTYPE))
    version_codes: dict[str, int] = field(default_factory=dict)  # 32-digit hex id -> code
    article_codes: dict[str, int] = field(default_factory=dict)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))
    sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # each row's code
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    def chunk_id(self, row: int) -> UUID:
        return UUID(bytes=self.ids[row].tobytes())

    def codes_of(self, version_keys: list[str], article_keys: list[str]) -> np.ndarray:
        """The codes of the readable sources that have passages, ascending."""
        versions, articles = self.version_codes, self.article_codes
        found = [code for key in version_keys if (code := versions.get(key)) is not None]
        found += [code for key in article_keys if (code := articles.get(key)) is not None]
        return np.unique(np.asarray(found, dtype=np.int64))


def _ranges_rows(begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The row numbers of the half-open ranges ``begins[i]:ends[i]``, concatenated."""
    lengths = ends - begins
    total = int(lengths.sum())
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(begins, lengths) + offsets


_matrix = _Matrix()
_matrix_lock = threading.Lock()


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


def readable_statement(versions: QuerySet, articles: QuerySet) -> tuple[str, list[Any]]:
    """One statement answering the ids of the readable document versions and articles
    (``versions`` and ``articles`` select ``pk``) as two comma-separated strings of 32-digit
    hex ids (``string_agg`` / ``group_concat``): no UUID object is made per id, and the
    keyword half hands the list back to the database as one text parameter."""
    version_sql, version_params = versions.query.sql_with_params()
    article_sql, article_params = articles.query.sql_with_params()
    if connection.vendor == "postgresql":
        aggregate = "string_agg(replace(s.pk::text, '-', ''), ',')"
    else:  # SQLite stores a UUID as its 32 hex digits
        aggregate = "group_concat(s.pk, ',')"
    sql = f"SELECT (SELECT {aggregate} FROM ({version_sql}) s), (SELECT {aggregate} FROM ({article_sql}) s)"  # noqa: S608
    return sql, [*version_params, *article_params]


def readable_rows(sql: str, params: list[Any]) -> tuple[list[str], list[str]]:
    """Run a ``readable_statement``: the readable version and article ids, 32-digit hex."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        version_list, article_list = cursor.fetchone()
    return (version_list.split(",") if version_list else []), (article_list.split(",") if article_list else [])


def readable_keys(versions: QuerySet, articles: QuerySet) -> tuple[list[str], list[str]]:
    """``readable_statement`` of the two querysets, run."""
    return readable_rows(*readable_statement(versions, articles))


def index_generation() -> int:
    state = IndexState.objects.filter(pk=1).values_list("generation", flat=True).first()
    return state or 0


def index_version_key() -> tuple[int, Any]:
    """The generation and stamp of the index: a process's copy is current while both match
    (read on every question: one fixed statement, no queryset built; the stamp as the
    database returns it, compared only with what this function returned before)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT generation, stamp FROM {IndexState._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, None)


_blas_limited = False


def limit_blas_threads() -> None:
    """Run NumPy's BLAS on ``ASSISTANT_BLAS_THREADS`` threads in this process (1 by default).
    The vector half is one matrix-vector product, bound by memory: a second thread does not
    make it faster, and OpenBLAS's idle threads spin after each product, taking the CPU the
    embedding, the database and the other requests need (measured at 50,000 rows: p50
    12.6 ms with one thread, 16.9 with two; p95 15.9 and 66 ms)."""
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=settings.ASSISTANT_BLAS_THREADS, user_api="blas")
        _blas_limited = True


def _load(model_id: str, generation: Any) -> _Matrix:
    limit_blas_threads()
    rows = Chunk.objects.filter(model_id=model_id).values_list(
        "id", "version_id", "article_id", "vector", "dimension", "version__document__company_id", "article__company_id"
    )
    ids: list[bytes] = []
    row_sources: list[tuple[str, str, str]] = []
    blobs: list[bytes] = []
    dimension = 0
    for chunk_id, version_id, article_id, vector, dim, document_company, article_company in rows.iterator(
        chunk_size=5000
    ):
        company = document_company or article_company
        if version_id:
            row_sources.append((company.hex if company else "", SourceKind.VERSION, version_id.hex))
        else:
            row_sources.append((company.hex if company else "", SourceKind.ARTICLE, article_id.hex))
        ids.append(chunk_id.bytes)
        blobs.append(bytes(vector))
        dimension = dim
    vectors = (
        np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), dimension)
        if ids
        else np.zeros((0, 1), dtype=np.float32)
    )
    # Codes in the order (company, kind, id): one company's sources get consecutive codes.
    codes = {source: code for code, source in enumerate(sorted(set(row_sources)))}
    version_codes = {key: code for (_c, kind, key), code in codes.items() if kind == SourceKind.VERSION}
    article_codes = {key: code for (_c, kind, key), code in codes.items() if kind == SourceKind.ARTICLE}
    sources = np.fromiter((codes[source] for source in row_sources), dtype=np.int64, count=len(row_sources))
    id_array = np.frombuffer(b"".join(ids), dtype=ID_DTYPE) if ids else np.zeros(0, dtype=ID_DTYPE)
    return build_matrix(generation, model_id, id_array, sources, version_codes, article_codes, vectors)


def build_matrix(
    generation: Any,
    model_id: str,
    ids: np.ndarray | list[UUID],
    sources: np.ndarray,
    version_codes: dict[str, int],
    article_codes: dict[str, int],
    vectors: np.ndarray,
) -> _Matrix:
    """The in-memory index of the rows ``vectors`` (``sources[i]`` the code of row i's
    source, codes numbered from 0; ``ids`` the rows' chunk ids, UUIDs or an ``ID_DTYPE``
    array), its rows regrouped by code."""
    if not isinstance(ids, np.ndarray):
        ids = np.frombuffer(b"".join(i.bytes for i in ids), dtype=ID_DTYPE) if ids else np.zeros(0, dtype=ID_DTYPE)
    order = np.argsort(sources, kind="stable")
    count = len(version_codes) + len(article_codes)
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(sources, minlength=count), out=starts[1:])
    return _Matrix(
        generation,
        model_id,
        ids[order],
        version_codes,
        article_codes,
        np.ascontiguousarray(vectors[order]),
        sources[order],
        starts,
    )


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
    version_keys: list[str],
    article_keys: list[str],
    limit: int = CANDIDATES,
    index: _Matrix | None = None,
) -> list[tuple[UUID, float]]:
    """``(chunk id, cosine)`` of the best readable passages, best first (exact: every
    readable row is scored, no other row can be returned). ``version_keys`` and
    ``article_keys`` are the readable sources' ids as 32-digit hex strings; ``index`` the
    matrix already checked against the index (else it is checked here)."""
    current = index if index is not None else matrix(model_id)
    if not len(current.ids):
        return []
    codes = current.codes_of(version_keys, article_keys)
    if not len(codes):
        return []
    query = query_vector.astype(np.float32)
    # Consecutive codes are consecutive rows: the readable set as runs of rows.
    breaks = np.flatnonzero(np.diff(codes) != 1) + 1
    begins = current.starts[codes[np.r_[0, breaks]]]
    ends = current.starts[codes[np.r_[breaks - 1, len(codes) - 1]] + 1]
    readable_rows = int((ends - begins).sum())
    if len(begins) <= MAX_RUNS:
        # A company's sources (staff), or everything (an admin): a few slices, scored in place.
        rows = None if len(begins) == 1 else _ranges_rows(begins, ends)
        scores = np.concatenate([current.vectors[b:e] @ query for b, e in zip(begins, ends, strict=True)])
        first = int(begins[0])
    elif readable_rows * SPARSE_SHARE < len(current.ids):
        # A small scattered set (a tenant's lease, an owner's properties): its rows gathered.
        rows = _ranges_rows(begins, ends)
        scores = current.vectors[rows] @ query
        first = 0
    else:
        # A large scattered set: every row scored in place, the unreadable ones masked out
        # before the top-k is taken.
        readable = np.zeros(len(current.starts) - 1, dtype=bool)
        readable[codes] = True
        rows = None
        scores = current.vectors @ query
        scores[~readable[current.sources]] = -np.inf
        first = 0
    take = min(limit, readable_rows)
    best = np.argpartition(-scores, take - 1)[:take]
    best = best[np.argsort(-scores[best], kind="stable")]
    if rows is not None:
        return [(current.chunk_id(rows[i]), float(scores[i])) for i in best]
    return [(current.chunk_id(first + i), float(scores[i])) for i in best]


def keyword_ranking(
    *, query: str, model_id: str, version_keys: list[str], article_keys: list[str], limit: int = CANDIDATES
) -> list[tuple[UUID, float]]:
    """``(chunk id, rank)`` of the readable passages matching the query's words, best first.

    The readable sources are one parameter of the query (their ids as one comma-separated
    text on PostgreSQL, a JSON list on SQLite), tested on each matching row before anything
    is ranked. The ranking is bounded: the passages holding every word come first (an index
    intersection, few rows), then, when they are fewer than ``limit``, those holding any of
    them, at most ``KEYWORD_POOL`` of which are ranked, so a word found in a large share of
    the index costs a bounded number of rows, while a rare word (an invoice number, a name)
    matches few passages and is always ranked exactly."""
    terms = query_terms(query)
    if not terms or not (version_keys or article_keys):
        return []
    if connection.vendor == "postgresql":
        return _pg_keyword(terms, model_id=model_id, version_keys=version_keys, article_keys=article_keys, limit=limit)
    found = _sqlite_keyword(
        terms, every=True, model_id=model_id, version_keys=version_keys, article_keys=article_keys, limit=limit
    )
    if len(terms) > 1 and len(found) < limit:
        seen = {chunk_id for chunk_id, _ in found}
        more = _sqlite_keyword(
            terms,
            every=False,
            model_id=model_id,
            version_keys=version_keys,
            article_keys=article_keys,
            limit=limit + len(found),
        )
        found += [(chunk_id, rank) for chunk_id, rank in more if chunk_id not in seen][: limit - len(found)]
    return found


def _pg_keyword(
    terms: list[str], *, model_id: str, version_keys: list[str], article_keys: list[str], limit: int
) -> list[tuple[UUID, float]]:
    """Both tiers in one statement: the any-word pool is scanned only when the every-word
    matches are fewer than ``limit`` (a one-time filter, evaluated once).

    The matching rows come from the full-text index (GIN), and each is then tested against
    the readable sources: two ``uuid[]`` parameters, each unnested once into a materialized
    set that both tiers probe as a hash table. The lists are never an ``= ANY`` constant the
    planner sees: with 2,500 readable versions that made it estimate every element (5 to 9
    ms of planning per question on the benchmark, against 0.4 ms now) and the lists were
    sent twice."""
    every = " && ".join(["plainto_tsquery('simple', %s)"] * len(terms))
    some = " || ".join(["plainto_tsquery('simple', %s)"] * len(terms))
    readable = "c.model_id = %s AND (c.version_id IN (SELECT id FROM rv) OR c.article_id IN (SELECT id FROM ra))"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q AS (SELECT {every} AS all_words, {some} AS any_word), "  # noqa: S608
            "rv AS MATERIALIZED (SELECT unnest(%s::uuid[]) AS id), "
            "ra AS MATERIALIZED (SELECT unnest(%s::uuid[]) AS id), "
            f"every_hits AS (SELECT c.id, c.search_vector FROM assistant_chunk c, q "
            f"WHERE c.search_vector @@ q.all_words AND {readable} LIMIT %s), "
            f"every_ranked AS (SELECT h.id, ts_rank_cd(h.search_vector, q.all_words) AS rank FROM every_hits h, q "
            "ORDER BY rank DESC, h.id LIMIT %s), "
            f"some_hits AS (SELECT c.id, c.search_vector FROM assistant_chunk c, q "
            f"WHERE (SELECT count(*) FROM every_ranked) < %s AND c.search_vector @@ q.any_word AND {readable} "
            "LIMIT %s) "
            "SELECT id, rank, 0 AS tier FROM every_ranked "
            "UNION ALL (SELECT h.id, ts_rank_cd(h.search_vector, q.any_word), 1 FROM some_hits h, q "
            "WHERE h.id NOT IN (SELECT id FROM every_ranked)) "
            "ORDER BY tier, rank DESC, id LIMIT %s",
            [
                *terms,
                *terms,
                _uuid_array(version_keys),
                _uuid_array(article_keys),
                model_id,
                KEYWORD_POOL,
                limit,
                limit,
                model_id,
                KEYWORD_POOL,
                limit,
            ],
        )
        return [(UUID(str(row[0])), float(row[1])) for row in cursor.fetchall()]


def _uuid_array(keys: list[str]) -> str:
    """32-digit hex ids as one PostgreSQL array literal (``'{a,b}'``, cast to ``uuid[]`` by
    the statement): one text parameter, no ``UUID`` object made per id."""
    return "{" + ",".join(keys) + "}"


def _sqlite_keyword(
    terms: list[str], *, every: bool, model_id: str, version_keys: list[str], article_keys: list[str], limit: int
) -> list[tuple[UUID, float]]:
    """FTS5: the first ``KEYWORD_POOL`` readable matches (in index order, no ranking yet),
    then BM25 over that pool only."""
    match = (" AND " if every else " OR ").join('"' + term.replace('"', '""') + '"' for term in terms)
    readable = json.dumps([*version_keys, *article_keys])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chunk_id, rank FROM (SELECT chunk_id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s AND model_id = %s "
            "AND source IN (SELECT value FROM json_each(%s)) LIMIT %s) ORDER BY rank, chunk_id LIMIT %s",
            [match, model_id, readable, KEYWORD_POOL, limit],
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
