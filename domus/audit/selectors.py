"""Reads of the audit trail: the filtered list (also what the export streams) and
one row."""

from typing import Any
from uuid import UUID

from django.db.models import F, QuerySet

from domus.audit.models import AuditLog
from domus.audit.policies import can_read_audit_log
from domus.audit.schemas import AuditLogFilters
from domus.core.exceptions import NotFound, ValidationFailed
from domus.core.filtering import filter_list, first_instant, last_instant
from domus.core.scope import Period, Scope

SEARCH_FIELDS = ("actor_repr", "resource_id", "action")
ORDERING_FIELDS = ("created_at", "action", "resource_type")


def audit_log_visible_to(actor: Any) -> QuerySet[AuditLog]:
    """Every row for platform admins; nothing for anyone else."""
    if can_read_audit_log(actor):
        return AuditLog.objects.all()
    return AuditLog.objects.none()


def audit_log_list_for_actor(*, actor: Any, filters: AuditLogFilters) -> QuerySet[AuditLog]:
    """The rows ``actor`` may read that match ``filters``, newest first unless
    ``filters.ordering`` says otherwise."""
    queryset = audit_log_visible_to(actor)
    exact = {
        "resource_type": filters.resource_type,
        "resource_id": filters.resource_id,
        "action": filters.action,
        "actor_id": filters.user_id,
        "company_id": filters.company_id,
    }
    queryset = queryset.filter(**{field: value for field, value in exact.items() if value is not None})
    start = first_instant(filters.start_date) if filters.start_date is not None else None
    end = last_instant(filters.end_date) if filters.end_date is not None else None
    if start is not None and end is not None and start > end:
        raise ValidationFailed(errors={"end_date": ["Must not be before start_date."]})
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lte=end)
    # Rows are never updated, so updated_after/before (every list's parameters) mean
    # the same instants as created_after/before.
    return filter_list(
        queryset.alias(updated_at=F("created_at")),
        filters,
        search_fields=SEARCH_FIELDS,
        ordering_fields=ORDERING_FIELDS,
        default_ordering=("-created_at", "-id"),
    )


def audit_log_get_for_actor(*, actor: Any, log_id: UUID) -> AuditLog:
    """One row; the same 404 whether it is missing or the actor may not read it."""
    row = audit_log_visible_to(actor).filter(pk=log_id).first()
    if row is None:
        raise NotFound("Audit log entry not found.")
    return row


def audit_activity_for(*, scope: Scope, period: Period) -> QuerySet[AuditLog]:
    """Recent activity in ``scope`` during ``period``, newest first: a platform admin
    sees every row, company staff their companies' rows, anyone else what they did."""
    rows = AuditLog.objects.filter(period.q("created_at"))
    if scope.kind == "companies":
        rows = rows.filter(company_id__in=sorted(scope.company_ids))
    elif scope.kind != "platform":
        rows = rows.filter(actor_id=scope.user_id)
    return rows.order_by("-created_at", "-id")
