"""Reports API (docs/reports.md), mounted at ``/api/v1/reports/``."""

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any, Literal
from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router, Status

from domus.analytics.reports import cma, exports, jobs, performance, pm
from domus.analytics.reports.pdf import cma_pdf, tables_pdf
from domus.analytics.reports.schemas import (
    ArrearsOut,
    CmaIn,
    CmaOut,
    FormatQuery,
    IncomeStatementOut,
    IncomeStatementQuery,
    OccupancyReportOut,
    PerformanceIn,
    PerformanceOut,
    PmQuery,
    RentRollOut,
)
from domus.core.errors import ErrorOut
from domus.core.exceptions import NotFound
from domus.core.openapi import download
from domus.ops import selectors as ops_selectors
from domus.ops.schemas import OpsJobOut

router = Router(tags=["reports"])

SIGNED_IN = {"x-permission": "any signed-in user; every row through its app's visibility rule"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
PDF = download("The report as PDF (format=pdf)", "application/pdf")
JOB_READERS = {"x-permission": "admin: all; company staff: their companies' jobs; anyone: the jobs they started"}
TABLE_FILES = download("The report as CSV (format=csv) or PDF (format=pdf)", "text/csv", "application/pdf")


def _file(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([exports._cell(value) for value in row])
    return buffer.getvalue()


def _table_answer(
    report: dict[str, Any], fmt: str, *, name: str, title: str, fields: list[tuple[str, Any]],
    tables: list[tuple[str, Callable]],
) -> Any:  # fmt: skip
    if fmt == "json":
        return report
    if fmt == "csv":
        header, rows = tables[0][1](report)
        return _file(_csv(header, rows), "text/csv; charset=utf-8", f"{name}.csv")
    sections = []
    for section_title, table in tables:
        header, rows = table(report)
        sections.append({"title": section_title, "header": header, "rows": rows})
    return _file(tables_pdf(title, fields, sections), "application/pdf", f"{name}.pdf")


# Comparative market analysis ----------------------------------------------------------------


@router.post(
    "/cma/",
    response={200: CmaOut, **ERRORS},
    summary="Comparative market analysis of a listing or of an address with attributes (JSON or PDF)",
    description=(
        "Comparables from the listings, closed deals and leases the caller may see, chosen by distance, "
        "type, size, bedrooms and recency; sold/let prices rank ahead of asking prices. Each comparable's "
        "adjustments (size, bedrooms, age, features) are explained, at rates fitted from the company's own "
        "records by least squares when there are enough, else documented defaults. `format=pdf` answers "
        "the report with a map of the comparables and a chart."
    ),
    openapi_extra={**SIGNED_IN, **PDF},
)
def report_cma(request: HttpRequest, payload: CmaIn, query: Query[FormatQuery]):
    data = payload.dict()
    subject = cma.parse_subject(actor=request.auth, data=data)
    report = cma.cma_build(
        actor=request.auth,
        subject=subject,
        radius_km=payload.radius_km,
        months=payload.months,
        max_comparables=payload.max_comparables,
    )
    if query.format == "pdf":
        return _file(cma_pdf(report), "application/pdf", "cma.pdf")
    return report


# Performance pack -----------------------------------------------------------------------------


@router.post(
    "/performance/",
    by_alias=True,
    response={200: PerformanceOut, **ERRORS},
    summary="Operational performance pack for a period and a scope (JSON or PDF)",
    description=(
        "Leads, viewings, offers, closings and commissions; collections and arrears aging; maintenance "
        "turnaround, for a company, a branch, an agent or an owner's properties, within what the caller "
        "may see. Money per currency."
    ),
    openapi_extra={**SIGNED_IN, **PDF},
)
def report_performance(request: HttpRequest, payload: PerformanceIn, query: Query[FormatQuery]):
    scope = performance.pack_scope(
        actor=request.auth, kind=payload.scope, company_id=payload.company_id, branch_id=payload.branch_id,
        agent_id=payload.agent_id, owner_id=payload.owner_id,
    )  # fmt: skip
    pack = performance.performance_pack_build(actor=request.auth, start=payload.from_, end=payload.to, scope=scope)
    if query.format == "pdf":
        fields = [("Period", f"{payload.from_} to {payload.to}"), ("Scope", payload.scope)]
        document = tables_pdf("Performance pack", fields, performance.performance_tables(pack))
        return _file(document, "application/pdf", f"performance-{payload.from_}-{payload.to}.pdf")
    return pack


@router.post(
    "/performance/jobs/",
    by_alias=True,
    response={202: OpsJobOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Build a performance pack as a background job (progress, PDF and pack in the job)",
    description=(
        "The same body and checks as the direct pack. Answers 202 with the job (`/api/v1/ops/jobs/{id}/`): "
        "one progress step per section; its result has the pack and the stored PDF, which is also e-mailed "
        "to the caller; cancel through the jobs API."
    ),
    openapi_extra=SIGNED_IN,
)
def report_performance_job(request: HttpRequest, payload: PerformanceIn):
    scope = {
        "kind": payload.scope, "company_id": payload.company_id, "branch_id": payload.branch_id,
        "agent_id": payload.agent_id, "owner_id": payload.owner_id,
    }  # fmt: skip
    job = jobs.performance_pack_start(actor=request.auth, start=payload.from_, end=payload.to, scope=scope)
    return Status(202, ops_selectors.job_get_for_actor(actor=request.auth, job_id=job.pk))


@router.get(
    "/performance/jobs/{job_id}/pdf/",
    response={200: None, **ERRORS},
    summary="The PDF a performance-pack job stored",
    openapi_extra={**JOB_READERS, **download("The performance pack as PDF", "application/pdf")},
)
def report_performance_job_pdf(request: HttpRequest, job_id: UUID):
    job = ops_selectors.job_get_for_actor(actor=request.auth, job_id=job_id)
    stream = jobs.performance_pack_pdf(job)
    if stream is None:
        raise NotFound("This job has no performance pack (yet).")
    response = FileResponse(stream, as_attachment=True, filename=f"performance-{job.pk}.pdf")
    response["Content-Type"] = "application/pdf"
    response["Cache-Control"] = "private, no-store"
    return response


# Property-management reports ------------------------------------------------------------------


def _as_of(query: PmQuery) -> date:
    return query.as_of or pm.today()


@router.get(
    "/rent-roll/",
    response={200: RentRollOut, 400: ErrorOut, 401: ErrorOut},
    summary="Rent roll: leases active on a day, rent, deposit and balance due (JSON, CSV or PDF)",
    openapi_extra={**SIGNED_IN, **TABLE_FILES},
)
def report_rent_roll(request: HttpRequest, query: Query[PmQuery]):
    as_of = _as_of(query)
    report = pm.rent_roll(actor=request.auth, as_of=as_of, company_id=query.company_id, owner_id=query.owner_id)
    return _table_answer(
        report, query.format, name=f"rent-roll-{as_of}", title=f"Rent roll {as_of}",
        fields=[("Monthly rent", report["monthly_rent"]), ("Balance due", report["balance_due"])],
        tables=[("Leases", pm.rent_roll_table)],
    )  # fmt: skip


@router.get(
    "/arrears/",
    response={200: ArrearsOut, 400: ErrorOut, 401: ErrorOut},
    summary="Arrears aging: open invoices by days overdue (0-30, 31-60, 61-90, 90+), per currency",
    openapi_extra={**SIGNED_IN, **TABLE_FILES},
)
def report_arrears(request: HttpRequest, query: Query[PmQuery]):
    as_of = _as_of(query)
    report = pm.arrears(actor=request.auth, as_of=as_of, company_id=query.company_id, owner_id=query.owner_id)
    return _table_answer(
        report, query.format, name=f"arrears-{as_of}", title=f"Arrears aging {as_of}", fields=[],
        tables=[("Invoices", pm.arrears_table), ("Totals per currency", pm.aging_table)],
    )  # fmt: skip


@router.get(
    "/occupancy/",
    response={200: OccupancyReportOut, 400: ErrorOut, 401: ErrorOut},
    summary="Occupancy: rental units let and vacant on a day (JSON, CSV or PDF)",
    openapi_extra={**SIGNED_IN, **TABLE_FILES},
)
def report_occupancy(request: HttpRequest, query: Query[PmQuery]):
    as_of = _as_of(query)
    report = pm.occupancy(actor=request.auth, as_of=as_of, company_id=query.company_id, owner_id=query.owner_id)
    fields = [("Units", report["units"]), ("Occupied", report["occupied"]), ("Occupancy", f"{report['occupancy']:.1%}")]
    return _table_answer(
        report, query.format, name=f"occupancy-{as_of}", title=f"Occupancy {as_of}", fields=fields,
        tables=[("Listings", pm.occupancy_table)],
    )  # fmt: skip


@router.get(
    "/income-statement/",
    by_alias=True,
    response={200: IncomeStatementOut, 400: ErrorOut, 401: ErrorOut},
    summary="Owner income statement: rent billed, collected, management fees and net, per currency",
    openapi_extra={**SIGNED_IN, **TABLE_FILES},
)
def report_income_statement(request: HttpRequest, query: Query[IncomeStatementQuery]):
    report = pm.income_statement(
        actor=request.auth, start=query.from_, end=query.to, company_id=query.company_id, owner_id=query.owner_id
    )
    title = f"Income statement {query.from_} to {query.to}"
    return _table_answer(
        report, query.format, name=f"income-{query.from_}-{query.to}", title=title, fields=[],
        tables=[("Per currency", pm.income_table)],
    )  # fmt: skip


# Streamed exports -----------------------------------------------------------------------------

Resource = Literal["listings", "leads", "clients", "invoices", "payments", "leases"]


@router.get(
    "/export/{resource}/",
    response={400: ErrorOut, 401: ErrorOut},
    summary="CSV export of a list (listings, leads, clients, invoices, payments, leases), streamed",
    description="Every row the caller may see in that list, streamed as it is read (constant memory).",
    openapi_extra={**SIGNED_IN, **download("The rows as CSV", "text/csv")},
)
def report_export(request: HttpRequest, resource: Resource):
    response = StreamingHttpResponse(
        exports.export_rows(actor=request.auth, resource=resource), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{resource}.csv"'
    return response
