"""Shapes of the ops API: health answers, the route reference, jobs, imports, database
maintenance and reindexing."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from domus.core.schemas import Input


class HealthOut(Schema):
    status: Literal["ok"]
    version: str
    time: datetime


class ReadyOut(Schema):
    status: Literal["ok"]


class CheckOut(Schema):
    name: str
    status: Literal["ok", "down"]
    latency_ms: float
    detail: str


class HealthDetailsOut(Schema):
    status: Literal["ok", "down"]
    version: str
    time: datetime
    checks: list[CheckOut]


class RouteOut(Schema):
    method: str
    path: str
    alias_of: str | None
    permission: str
    summary: str


# Jobs, imports, database maintenance, reindex ---------------------------------------------


class OpsJobOut(Schema):
    id: UUID
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    done: int
    total: int
    params: dict[str, Any]
    result: dict[str, Any]
    errors: list[dict[str, Any]]
    error: str
    cancel_requested: bool
    started_by_id: UUID | None
    company_id: UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class OpsJobFilters(Schema):
    kind: str | None = Field(None, max_length=50)
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None


class DataImportIn(Input):
    lax_scalars = True  # a multipart form: dry_run arrives as text ("true" or "false")
    resource: Literal["listings", "clients", "leads", "units", "leases", "parts"]
    format: Literal["csv", "json", "xlsx"] | None = Field(
        None, description="Default: from the file name (.csv, .json, .jsonl, .xlsx), else csv."
    )
    dry_run: bool = Field(True, description="Validate and report per row; write nothing.")
    company_id: UUID | None = Field(None, description="The company imported into (default: your only one).")


class DatabaseOptimizeIn(Input):
    actions: list[Literal["analyze", "vacuum", "create_index"]] | None = Field(
        None, max_length=3, description="Which planned steps to run (default: all)."
    )


# The registered reindex targets (domus.ops.services.reindex): registering one adds it here.
ReindexTarget = Literal["listings", "assistant"]


class SearchReindexIn(Input):
    targets: list[ReindexTarget] | None = Field(None, max_length=20, description="Which to rebuild (default: all).")


class DatabasePlanStepOut(Schema):
    action: Literal["analyze", "vacuum", "create_index"]
    table: str
    sql: str
    reason: str


class DatabasePlanOut(Schema):
    vendor: str
    missing_indexes: list[dict[str, Any]]
    unused_indexes: list[dict[str, Any]]
    bloat: list[dict[str, Any]]
    tables: list[dict[str, Any]]
    pg_stat_statements: bool
    slow_queries: list[dict[str, Any]]
    steps: list[DatabasePlanStepOut]
