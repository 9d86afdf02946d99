"""Ops API: liveness and readiness for orchestrators and admins, the route reference of
the API, background jobs, bulk imports, database maintenance and search reindexing."""

from uuid import UUID

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.core.exceptions import NotFound, ServiceUnavailable
from domus.core.openapi import download
from domus.core.policies import is_admin, require
from domus.core.route_table import route_table, routes_under
from domus.core.routing import CANONICAL_PREFIX
from domus.ops import health, selectors
from domus.ops.schemas import (
    DatabaseOptimizeIn,
    DatabasePlanOut,
    DataImportIn,
    HealthDetailsOut,
    HealthOut,
    OpsJobFilters,
    OpsJobOut,
    ReadyOut,
    RouteOut,
    SearchReindexIn,
)
from domus.ops.services import database, imports, jobs, reindex

router = Router(tags=["ops"])


# throttle=[] (not the default NOT_SET) keeps the API-wide read limit off the probes:
# probes call them often, and the limiter's cache may be the very thing that is down.
@router.get(
    "/health/",
    auth=None,
    throttle=[],
    response=HealthOut,
    summary="Liveness: the process answers (touches no database, cache or broker)",
)
def health_live(request: HttpRequest):
    return health.liveness()


@router.get(
    "/health/ready/",
    auth=None,
    throttle=[],
    response={200: ReadyOut, 503: ErrorOut},
    summary="Readiness probe: the database and the cache answer (503 without details when one does not)",
)
def health_ready(request: HttpRequest):
    if not health.ready():
        raise ServiceUnavailable("Not ready.")
    return {"status": health.OK}


@router.get(
    "/health/details/",
    throttle=[],
    response={200: HealthDetailsOut, 503: HealthDetailsOut, 401: ErrorOut, 403: ErrorOut},
    summary="Details: database, cache, Celery broker and storage, each with status and latency (503 if one is down)",
    openapi_extra={"x-permission": "admin"},
)
def health_details(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins can read the health details.")
    report = health.readiness()
    return Status(200 if report["status"] == health.OK else 503, report)


@router.get(
    "/routes/{app}/",
    auth=None,
    response={200: list[RouteOut], 404: ErrorOut, 429: ErrorOut},
    summary="The API routes of one app (canonical paths and the original systems' aliases), as in docs/API_ROUTES.md",
)
def route_list(request: HttpRequest, app: str):
    prefix = f"{CANONICAL_PREFIX}{app}/"
    rows = routes_under(prefix, route_table())
    if not rows:
        raise NotFound(f"No API routes under {prefix}.")
    return rows


# Jobs ---------------------------------------------------------------------------------------

JOB_READERS = {"x-permission": "admin: all; company staff: their companies' jobs; anyone: the jobs they started"}
ADMIN = {"x-permission": "admin"}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
START_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}


@router.get(
    "/jobs/",
    response={200: list[OpsJobOut], 400: ErrorOut, 401: ErrorOut},
    summary="Background jobs (imports, reindex, maintenance), newest first",
    openapi_extra=JOB_READERS,
)
@paginate
def job_list(request: HttpRequest, filters: Query[OpsJobFilters]):
    return selectors.job_list_for_actor(actor=request.auth, kind=filters.kind, status=filters.status)


@router.get("/jobs/{job_id}/", response={200: OpsJobOut, **READ_ERRORS}, summary="A job", openapi_extra=JOB_READERS)
def job_detail(request: HttpRequest, job_id: UUID):
    return selectors.job_get_for_actor(actor=request.auth, job_id=job_id)


@router.post(
    "/jobs/{job_id}/cancel/",
    response={200: OpsJobOut, **READ_ERRORS, 403: ErrorOut, 409: ErrorOut},
    summary="Cancel a job (a queued one at once, a running one at its next progress report)",
    openapi_extra={"x-permission": "the job's starter, its company's staff or admin"},
)
def job_cancel(request: HttpRequest, job_id: UUID):
    job = selectors.job_get_for_actor(actor=request.auth, job_id=job_id)
    return jobs.job_cancel(actor=request.auth, job=job)


# Imports ------------------------------------------------------------------------------------


@router.post(
    "/data/import/",
    response={202: OpsJobOut, **START_ERRORS, 404: ErrorOut},
    summary="Import listings, clients, leads, units, leases or parts from CSV, JSON or XLSX (a dry run by default)",
    description=(
        "Multipart: `file` plus `resource`, `dry_run` (default true), `format` and `company_id`. "
        "Answers 202 with the job; its result has the per-row outcomes (new, update, skip, error "
        "with field and reason) and the counts; the failed rows download as CSV."
    ),
    openapi_extra={"x-permission": "company staff (their company) or admin; parts: admin"},
)
def data_import(request: HttpRequest, file: File[UploadedFile], payload: Form[DataImportIn]):
    job = imports.import_start(
        actor=request.auth,
        resource=payload.resource,
        upload=file,
        filename=file.name or "",
        file_format=payload.format,
        dry_run=payload.dry_run,
        company_id=payload.company_id,
    )
    return Status(202, selectors.job_get_for_actor(actor=request.auth, job_id=job.pk))


@router.get(
    "/data/status/",
    response={200: list[OpsJobOut], 400: ErrorOut, 401: ErrorOut},
    summary="Import jobs, newest first",
    openapi_extra=JOB_READERS,
)
@paginate
def data_status(request: HttpRequest, filters: Query[OpsJobFilters]):
    return selectors.job_list_for_actor(actor=request.auth, kind="data.import", status=filters.status)


@router.get(
    "/data/import/{job_id}/failed-rows/",
    response={200: None, **READ_ERRORS},
    summary="The rows an import refused, as CSV (row, field, reason, then the row's columns)",
    openapi_extra={**JOB_READERS, **download("The refused rows (CSV)", "text/csv")},
)
def data_import_failed_rows(request: HttpRequest, job_id: UUID):
    job = selectors.job_get_for_actor(actor=request.auth, job_id=job_id)
    stream = imports.import_failed_rows(job) if job.kind == "data.import" else None
    if stream is None:
        raise NotFound("This job has no failed rows.")
    response = FileResponse(stream, as_attachment=True, filename=f"failed-{job.pk}.csv", content_type="text/csv")
    response["Cache-Control"] = "private, no-store"
    return response


# Database maintenance and reindexing -------------------------------------------------------------


@router.get(
    "/database/plan/",
    response={200: DatabasePlanOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="What database maintenance would do: missing and unused indexes, bloat, slow queries, the steps",
    openapi_extra=ADMIN,
)
def database_plan(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins can read the database plan.")
    return database.database_plan()


@router.post(
    "/database/optimize/",
    response={202: OpsJobOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Run the planned ANALYZE / VACUUM / CREATE INDEX CONCURRENTLY steps as a job (PostgreSQL)",
    openapi_extra=ADMIN,
)
def database_optimize(request: HttpRequest, payload: DatabaseOptimizeIn | None = None):
    require(is_admin(request.auth), "Only platform admins can optimize the database.")
    job = database.database_optimize_start(actor=request.auth, actions=payload.actions if payload else None)
    return Status(202, selectors.job_get_for_actor(actor=request.auth, job_id=job.pk))


@router.post(
    "/search/reindex/",
    response={202: OpsJobOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Rebuild the listing search indexes and the assistant index as a job",
    openapi_extra=ADMIN,
)
def search_reindex(request: HttpRequest, payload: SearchReindexIn | None = None):
    require(is_admin(request.auth), "Only platform admins can rebuild the search indexes.")
    job = reindex.reindex_start(actor=request.auth, targets=payload.targets if payload else None)
    return Status(202, selectors.job_get_for_actor(actor=request.auth, job_id=job.pk))
