"""Reads of maintenance data, scoped to what the actor may see.

Work orders: platform admins see all; company staff their companies'; a requester their
own; a technician those assigned to them; a vendor's user those assigned to that vendor.
Anyone else sees nothing (NotFound, never a hint that the row exists)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.inventory.selectors import parts_by_id
from domus.maintenance.models import (
    OPEN_STATUSES,
    IssuePreset,
    OtherIssue,
    Question,
    Response,
    Vendor,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStatus,
)
from domus.organizations.selectors import company_ids_for_user, is_company_staff

FINISHED = (WorkOrderStatus.CLOSED, WorkOrderStatus.CANCELLED, WorkOrderStatus.REJECTED)


def staff_company_ids(actor: Any) -> set[UUID]:
    return {company_id for company_id in company_ids_for_user(actor) if is_company_staff(actor, company_id)}


def work_order_visible_to(actor: Any) -> QuerySet[WorkOrder]:
    queryset = WorkOrder.objects.all()
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(
        Q(company_id__in=staff_company_ids(actor)) | Q(requester=actor) | Q(technician=actor) | Q(vendor__user=actor)
    )


def work_order_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[WorkOrder]:
    queryset = work_order_visible_to(actor).select_related("issue", "other_issue", "vendor")
    if getattr(filters, "overdue", None):
        queryset = queryset.filter(resolve_due_at__lt=timezone.now()).exclude(status__in=FINISHED)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "priority", "company_id", "branch_id", "technician_id", "vendor_id", "issue_id"),
        search_fields=["name", "email", "address", "message"],
        ordering_fields=["created_at", "updated_at", "priority", "resolve_due_at", "status"],
    )


def work_order_get_for_actor(*, actor: Any, work_order_id: UUID) -> WorkOrder:
    row = work_order_visible_to(actor).select_related("issue", "other_issue", "vendor").filter(pk=work_order_id).first()
    if row is None:
        raise NotFound("Booking not found.")
    return row


def work_order_for_update(work_order_id: UUID) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=work_order_id)


def work_order_exists(work_order_id: UUID) -> WorkOrder | None:
    return WorkOrder.objects.filter(pk=work_order_id).first()


def transitions_of(work_order: WorkOrder) -> list:
    return list(work_order.transitions.all())


def technician_overlaps(*, technician_id: Any, start: datetime, end: datetime, exclude_id: UUID) -> bool:
    return (
        WorkOrder.objects.filter(
            technician_id=technician_id,
            status__in=OPEN_STATUSES,
            scheduled_start__lt=end,
            scheduled_end__gt=start,
        )
        .exclude(pk=exclude_id)
        .exists()
    )


# Presets, other issues and questions: readable by any signed-in user -----------------------


def simple_list(*, model: type[Model], filters: Any, search: tuple[str, ...] = ("name",)) -> QuerySet:
    return filter_list(
        model.objects.all(),
        filters,
        exact_fields=tuple(name for name in ("is_active", "issue_id", "kind", "category") if hasattr(filters, name)),
        search_fields=list(search),
        ordering_fields=["created_at", "updated_at"],
    )


def simple_get(*, model: type[Model], key: UUID) -> Model:
    row = model.objects.filter(pk=key).first()
    if row is None:
        raise NotFound(f"{model._meta.verbose_name.capitalize()} not found.")
    return row


def preset_get(preset_id: UUID) -> IssuePreset | None:
    return IssuePreset.objects.filter(pk=preset_id).first()


def other_issue_get(other_id: UUID) -> OtherIssue | None:
    return OtherIssue.objects.filter(pk=other_id).first()


def questions_for(issue_id: UUID | None) -> list[Question]:
    return list(Question.objects.filter(Q(issue__isnull=True) | Q(issue_id=issue_id)))


def question_get(question_id: UUID) -> Question | None:
    return Question.objects.filter(pk=question_id).first()


def response_list(*, filters: Any) -> QuerySet[Response]:
    queryset = Response.objects.all()
    if getattr(filters, "booking", None):
        queryset = queryset.filter(work_order_id=filters.booking)
    return filter_list(queryset, filters)


def vendor_visible_to(actor: Any) -> QuerySet[Vendor]:
    if is_admin(actor):
        return Vendor.objects.all()
    return Vendor.objects.filter(Q(company_id__in=staff_company_ids(actor)) | Q(user=actor))


def vendor_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Vendor]:
    return filter_list(
        vendor_visible_to(actor),
        filters,
        exact_fields=("company_id", "trade", "is_active"),
        search_fields=["name", "trade", "coverage_area"],
        ordering_fields=["name", "created_at"],
    )


def vendor_get_for_actor(*, actor: Any, vendor_id: UUID) -> Vendor:
    row = vendor_visible_to(actor).filter(pk=vendor_id).first()
    if row is None:
        raise NotFound("Vendor not found.")
    return row


def parts_of(work_order: WorkOrder) -> list[WorkOrderPart]:
    return list(WorkOrderPart.objects.filter(work_order=work_order).order_by("created_at"))


def part_for_update(*, work_order: WorkOrder, line_id: UUID) -> WorkOrderPart:
    row = WorkOrderPart.objects.select_for_update().filter(work_order=work_order, pk=line_id).first()
    if row is None:
        raise NotFound("No such part on this booking.")
    return row


def spare_part_exists(part_id: UUID) -> bool:
    return bool(parts_by_id([part_id]))


def work_order_turnaround_rows(*, scope: Any, period: Any) -> list[dict[str, Any]]:
    """Work orders in ``scope`` (an agent's: on their listings; an owner's: on their
    listings) opened during ``period``, per priority: how many, how many were answered
    and resolved, within their SLA, and each resolved one's hours to answer and to
    resolve (one query; the hours per order for medians)."""
    rows = (
        WorkOrder.objects.filter(
            scope.q(agent=("listing__agent_id",), owner=("listing__owner_id",)), period.q("created_at")
        )
        .order_by("priority", "created_at")
        .values("priority", "status", "created_at", "responded_at", "resolved_at", "response_due_at", "resolve_due_at")
    )
    return list(rows)
