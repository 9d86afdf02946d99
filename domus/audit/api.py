"""Audit API: the append-only trail for platform admins: list, one row, streamed
export. There is no write route; rows are only ever added by services."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from domus.audit import policies, selectors
from domus.audit.exports import audit_log_export_response
from domus.audit.schemas import AuditLogFilters, AuditLogOut, ExportQuery
from domus.core.errors import ErrorOut
from domus.core.openapi import download
from domus.core.policies import require

router = Router(tags=["audit"])

ADMIN = {"x-permission": "admin"}
DENIED = "Only platform admins can read the audit log."


@router.get(
    "/logs/",
    response={200: list[AuditLogOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Audit log entries, newest first (filters: resource, action, actor, company, dates)",
    openapi_extra=ADMIN,
)
@paginate
def audit_log_list(request: HttpRequest, filters: Query[AuditLogFilters]):
    require(policies.can_read_audit_log(request.auth), DENIED)
    return selectors.audit_log_list_for_actor(actor=request.auth, filters=filters)


# Declared before /logs/{log_id}/ so "export" is never read as an id.
@router.get(
    "/logs/export/",
    response={200: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Export the filtered entries as a streamed CSV or JSON attachment",
    openapi_extra={
        **ADMIN,
        **download(
            "The entries (format=csv or json)",
            "text/csv",
            "application/json",
            json_schema={"type": "array", "items": {"$ref": "#/components/schemas/AuditLogOut"}},
        ),
    },
)
def audit_log_export(request: HttpRequest, filters: Query[AuditLogFilters], query: Query[ExportQuery]):
    require(policies.can_read_audit_log(request.auth), DENIED)
    queryset = selectors.audit_log_list_for_actor(actor=request.auth, filters=filters)
    return audit_log_export_response(queryset, query.format)


@router.get(
    "/logs/{log_id}/",
    response={200: AuditLogOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="An audit log entry",
    openapi_extra=ADMIN,
)
def audit_log_detail(request: HttpRequest, log_id: UUID):
    require(policies.can_read_audit_log(request.auth), DENIED)
    return selectors.audit_log_get_for_actor(actor=request.auth, log_id=log_id)
