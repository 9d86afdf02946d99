"""Database maintenance on PostgreSQL: a plan read from the statistics views (missing
and unused indexes, dead-row bloat, stale statistics, slow statements when
``pg_stat_statements`` is installed) and the steps it proposes, run as an audited
``database.optimize`` job, one step at a time, on a connection of its own in autocommit
(``VACUUM`` and ``CREATE INDEX CONCURRENTLY`` refuse to run in a transaction), while
holding an advisory lock so two runs never overlap. On SQLite none of it applies: 409."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from domus.audit.services import audit_record
from domus.core.exceptions import Conflict, ValidationFailed
from domus.ops.models import Job, JobStatus
from domus.ops.services.jobs import Progress, job_kind_register, job_start

ACTIONS = ("analyze", "vacuum", "create_index")
ADVISORY_LOCK = 0x646F6D7573  # "domus": one maintenance run at a time, cluster-wide
MIN_ROWS_FOR_INDEX = 1000  # a foreign key of a smaller table needs no index of its own
BLOAT_RATIO = 0.2  # dead rows over all rows above which a table is vacuumed
MIN_DEAD_ROWS = 1000
STALE_RATIO = 0.1  # rows changed since the last ANALYZE over live rows
SLOW_STATEMENTS = 10


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise Conflict(
            f"Database maintenance applies to PostgreSQL; this database is {connection.vendor}.",
            errors={"database": [f"Not available on {connection.vendor}."]},
        )


def _rows(sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS "table", a.attname AS "column", t.n_live_tup AS rows
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_stat_user_tables t ON t.relid = c.conrelid
WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
  )
ORDER BY t.n_live_tup DESC, 1, 2
"""

_UNUSED_INDEXES = """
SELECT s.relname AS "table", s.indexrelname AS "index", s.idx_scan AS scans,
       pg_relation_size(s.indexrelid) AS bytes
FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
ORDER BY bytes DESC, 2
LIMIT 50
"""

_TABLES = """
SELECT relname AS "table", n_live_tup AS live_rows, n_dead_tup AS dead_rows, seq_scan, idx_scan,
       n_mod_since_analyze AS changed_since_analyze,
       pg_total_relation_size(relid) AS bytes,
       greatest(last_vacuum, last_autovacuum) AS last_vacuum,
       greatest(last_analyze, last_autoanalyze) AS last_analyze
FROM pg_stat_user_tables
ORDER BY n_dead_tup DESC, relname
"""

_SLOW = """
SELECT left(query, 300) AS query, calls, round(mean_exec_time::numeric, 3) AS mean_ms,
       round(total_exec_time::numeric, 1) AS total_ms, rows
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY mean_exec_time DESC
LIMIT %s
"""


def _index_name(table: str, column: str) -> str:
    name = f"ops_{table}_{column}_idx"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"ops_{table[:30]}_{column[:16]}_{digest}_idx"


def database_plan() -> dict[str, Any]:
    """What the statistics say and what ``database_optimize`` would do (reads only)."""
    require_postgresql()
    quote = connection.ops.quote_name
    tables = _rows(_TABLES)
    missing = [row for row in _rows(_UNINDEXED_FOREIGN_KEYS) if row["rows"] >= MIN_ROWS_FOR_INDEX]
    steps: list[dict[str, Any]] = []
    for row in missing:
        name = _index_name(row["table"], row["column"])
        steps.append(
            {
                "action": "create_index",
                "table": row["table"],
                "sql": f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(name)} "
                f"ON {quote(row['table'])} ({quote(row['column'])})",
                "reason": f"foreign key {row['column']} has no index ({row['rows']} rows)",
            }
        )
    bloat = []
    for table in tables:
        live, dead = table["live_rows"] or 0, table["dead_rows"] or 0
        ratio = dead / (live + dead) if live + dead else 0.0
        table["dead_ratio"] = round(ratio, 3)
        if dead >= MIN_DEAD_ROWS and ratio >= BLOAT_RATIO:
            bloat.append(table)
            steps.append(
                {
                    "action": "vacuum",
                    "table": table["table"],
                    "sql": f"VACUUM (ANALYZE) {quote(table['table'])}",
                    "reason": f"{dead} dead rows ({ratio:.0%})",
                }
            )
        elif live and (table["last_analyze"] is None or (table["changed_since_analyze"] or 0) > STALE_RATIO * live):
            steps.append(
                {
                    "action": "analyze",
                    "table": table["table"],
                    "sql": f"ANALYZE {quote(table['table'])}",
                    "reason": "never analyzed" if table["last_analyze"] is None else "statistics are stale",
                }
            )
    installed = bool(_rows("SELECT 1 AS one FROM pg_extension WHERE extname = 'pg_stat_statements'"))
    slow: list[dict[str, Any]] = []
    if installed:
        try:
            slow = _rows(_SLOW, (SLOW_STATEMENTS,))
        except Exception:  # installed but not preloaded (shared_preload_libraries): no data
            installed = False
    return {
        "vendor": connection.vendor,
        "missing_indexes": missing,
        "unused_indexes": _rows(_UNUSED_INDEXES),
        "bloat": bloat,
        "tables": tables[:50],
        "pg_stat_statements": installed,
        "slow_queries": slow,
        "steps": steps,
    }


def database_optimize_start(*, actor: Any, actions: list[str] | None = None) -> Job:
    """Queue the planned steps of ``actions`` (default: all) as a job; 409 on SQLite or
    while another run is queued or running."""
    require_postgresql()
    chosen = list(dict.fromkeys(actions or ACTIONS))
    unknown = [action for action in chosen if action not in ACTIONS]
    if unknown:
        raise ValidationFailed("Unknown action.", errors={"actions": [f"One of: {', '.join(ACTIONS)}."]})
    busy = Job.objects.filter(kind="database.optimize", status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists()
    if busy:
        raise Conflict("A database optimization is already queued or running.", errors={"job": ["busy"]})
    return job_start(kind="database.optimize", actor=actor, params={"actions": chosen})


@contextmanager
def autocommit_connection() -> Iterator[BaseDatabaseWrapper]:
    """A new connection to the default database, in autocommit, closed afterwards."""
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        own.ensure_connection()
        own.set_autocommit(True)
        yield own
    finally:
        own.close()


def database_optimize_run(job: Job, progress: Progress) -> dict[str, Any]:
    """The ``database.optimize`` job: each planned step, audited, under the advisory lock."""
    steps = [step for step in database_plan()["steps"] if step["action"] in job.params.get("actions", ACTIONS)]
    progress.set_total(len(steps))
    done: list[dict[str, Any]] = []
    with autocommit_connection() as own, own.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
        if not cursor.fetchone()[0]:
            raise Conflict("Another database optimization holds the lock.")
        try:
            for step in steps:
                cursor.execute(step["sql"])
                audit_record(
                    actor=job.started_by,
                    action="optimize",
                    resource_type="database",
                    resource_id=step["table"][:64],
                    changes={"action": step["action"], "sql": step["sql"], "job_id": str(job.pk)},
                )
                done.append(step)
                progress.advance()
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
    return {"steps": done}


job_kind_register("database.optimize", run="domus.ops.services.database:database_optimize_run")
