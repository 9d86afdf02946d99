"""``search/reindex``: rebuild the search structures, as a ``search.reindex`` job, one
registered target after another. Targets:

- ``listings``: the listings' full-text document is a generated column PostgreSQL keeps
  current; its GIN indexes (text and trigram) are rebuilt with ``REINDEX INDEX
  CONCURRENTLY`` and the table re-analyzed, and the cached search aggregates are made
  stale (on SQLite, where search is ``LIKE``, only the latter);
- ``assistant``: the assistant's passage index, rebuilt by its own indexing service (its
  job id is in the result).

Another app adds a target (dashboard roll-ups, say) with
``reindex_target_register("rollups", function)``; the function takes ``(actor, progress)``
and returns a JSON-able summary."""

from collections.abc import Callable
from typing import Any

from django.db import connection

from domus.audit.services import audit_record
from domus.core.exceptions import ValidationFailed
from domus.ops.models import Job
from domus.ops.services.jobs import Progress, job_kind_register, job_start

ReindexTarget = Callable[[Any, Progress], dict[str, Any]]
REINDEX_TARGETS: dict[str, ReindexTarget] = {}
LISTING_SEARCH_INDEXES = ("listing_search_document", "listing_title_trgm")


def reindex_target_register(name: str, run: ReindexTarget) -> None:
    REINDEX_TARGETS[name] = run


def reindex_listings(actor: Any, progress: Progress) -> dict[str, Any]:
    from domus.properties.caching import listing_cache_bump

    rebuilt: list[str] = []
    if connection.vendor == "postgresql":
        from domus.ops.services.database import autocommit_connection

        with autocommit_connection() as own, own.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(LISTING_SEARCH_INDEXES)])
            for (name,) in cursor.fetchall():
                cursor.execute(f"REINDEX INDEX CONCURRENTLY {own.ops.quote_name(name)}")
                rebuilt.append(name)
            cursor.execute("ANALYZE properties_listing")
    listing_cache_bump()
    return {"indexes": rebuilt, "analyzed": connection.vendor == "postgresql", "caches": "bumped"}


def reindex_assistant(actor: Any, progress: Progress) -> dict[str, Any]:
    from domus.assistant.services.index import reindex_start

    job = reindex_start(actor=actor)  # runs now with eager Celery, else on a worker
    job.refresh_from_db()
    return {"assistant_job_id": str(job.pk), "status": job.status, "result": job.result}


reindex_target_register("listings", reindex_listings)
reindex_target_register("assistant", reindex_assistant)


def reindex_start(*, actor: Any, targets: list[str] | None = None) -> Job:
    chosen = list(dict.fromkeys(targets or REINDEX_TARGETS))
    unknown = [name for name in chosen if name not in REINDEX_TARGETS]
    if unknown:
        raise ValidationFailed("Unknown target.", errors={"targets": [f"One of: {', '.join(REINDEX_TARGETS)}."]})
    return job_start(kind="search.reindex", actor=actor, params={"targets": chosen})


def reindex_run(job: Job, progress: Progress) -> dict[str, Any]:
    targets = job.params.get("targets") or list(REINDEX_TARGETS)
    progress.set_total(len(targets))
    results: dict[str, Any] = {}
    for name in targets:
        results[name] = REINDEX_TARGETS[name](job.started_by, progress)
        audit_record(
            actor=job.started_by,
            action="reindex",
            resource_type="search",
            resource_id=name,
            changes={"job_id": str(job.pk)},
        )
        progress.advance()
    return {"targets": results}


job_kind_register("search.reindex", run="domus.ops.services.reindex:reindex_run")
