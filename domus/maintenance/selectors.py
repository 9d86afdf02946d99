"""Reads of maintenance data, scoped to what the actor may see.

Work orders: platform admins see all; company staff their companies'; a requester their
own; a technician those assigned to them; a vendor's user those assigned to that vendor.
Anyone else sees nothing (NotFound, never a hint that the row exists)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.locks import hold, lock_key
from domus.core.policies import is_admin
from domus.inventory.selectors import fittings_visible, job_parts_cost, parts_by_id
from domus.maintenance.models import (
    OPEN_STATUSES,
    ApprovalStatus,
    ApprovalThreshold,
    IssuePreset,
    OtherIssue,
    PreventiveRun,
    PreventiveSchedule,
    Question,
    Response,
    ServiceHours,
    Vendor,
    WorkOrder,
    WorkOrderCharge,
    WorkOrderCosting,
    WorkOrderPart,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from domus.organizations.selectors import (
    COMPANY_STAFF_ROLES,
    company_country,
    company_ids_with_roles,
    company_member_user_ids,
)
from domus.properties.selectors import listing_ids_owned_by

FINISHED = (WorkOrderStatus.CLOSED, WorkOrderStatus.CANCELLED, WorkOrderStatus.REJECTED)
# Still on the resolution clock: not finished and the work not yet done.
OPEN_FOR_SLA = tuple(
    s for s in WorkOrderStatus.values if s not in (*FINISHED, WorkOrderStatus.WORK_DONE, WorkOrderStatus.READY_TO_BILL)
)


def staff_company_ids(actor: Any) -> set[UUID]:
    """The companies ``actor`` runs as staff or branch head (one query)."""
    return company_ids_with_roles(actor, COMPANY_STAFF_ROLES)


def work_order_visible_to(actor: Any) -> QuerySet[WorkOrder]:
    queryset = WorkOrder.objects.all()
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    # The caller's own jobs (requester, technician, vendor, owner) outside the companies they
    # staff are read first as an id list, usually empty: a desk's list is then filtered on
    # ``company_id`` alone, which PostgreSQL counts and pages from an index. One statement:
    # a UNION of index probes (requester, technician, the caller's vendors' jobs, the jobs
    # on the listings they own).
    staff = staff_company_ids(actor)
    mine = WorkOrder.objects.exclude(company_id__in=staff).order_by().values_list("pk", flat=True)
    own_ids = list(
        mine.filter(Q(requester=actor) | Q(technician=actor))
        .union(
            mine.filter(vendor__user_id=actor.pk),
            mine.filter(listing__owner_id=actor.pk),
        )
        .order_by()
    )
    visible = Q(company_id__in=staff)
    if own_ids:
        visible |= Q(pk__in=own_ids)
    return queryset.filter(visible)


def work_order_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[WorkOrder]:
    # The list shows ids only: no join (the rows stay narrow, the page an index scan).
    queryset = work_order_visible_to(actor)
    if getattr(filters, "overdue", None):
        queryset = queryset.filter(
            resolve_due_at__lt=timezone.now(), status__in=OPEN_FOR_SLA, sla_paused_at__isnull=True
        )
    if getattr(filters, "repeat", None) is not None:
        queryset = queryset.filter(repeat_of__isnull=not filters.repeat)
    if getattr(filters, "awaiting_owner", None):
        queryset = queryset.filter(costing__approval_status=ApprovalStatus.PENDING)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "priority", "company_id", "branch_id", "technician_id", "vendor_id", "issue_id"),
        search_fields=["name", "email", "address", "message"],
        ordering_fields=["created_at", "updated_at", "priority", "resolve_due_at", "status"],
        # The overdue list: the longest overdue first, read in the order of its partial index.
        default_ordering=("resolve_due_at", "pk") if getattr(filters, "overdue", None) else ("-created_at", "-pk"),
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
    """Whether the technician has another open booking overlapping ``start``-``end``, read
    under a lock on the technician held until commit (taken after the booking's row
    lock): two bookings of one technician queue and the second sees the first. The
    exclusion constraint alone would still refuse the second, but two transactions
    writing conflicting rows at once can deadlock on it."""
    hold(lock_key("maintenance.technician", technician_id))
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


def simple_list(*, model: type[Model], filters: Any) -> QuerySet:
    """Presets and "other" issues are searched by name, questions by their text."""
    search = tuple(name for name in ("name", "text") if any(f.name == name for f in model._meta.get_fields()))
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


def booking_issues() -> tuple[list[IssuePreset], list[OtherIssue]]:
    """The active presets and "other" issues a booking form offers (public)."""
    presets = list(IssuePreset.objects.filter(is_active=True).order_by("category", "name"))
    return presets, list(OtherIssue.objects.filter(is_active=True).order_by("name"))


def questions_for(issue_id: UUID | None) -> list[Question]:
    return list(Question.objects.filter(Q(issue__isnull=True) | Q(issue_id=issue_id)))


def questions_shown(questions: list[Question], answers: dict[UUID, str]) -> list[Question]:
    """The questions of ``questions`` a booking asks given ``answers`` (question id ->
    answer as stored: yes/no normalised): a question with a condition is shown when its
    earlier question is shown and was answered ``show_if_answer`` (letter case aside).
    Conditions point to lower positions, so one pass in order decides them."""
    shown: set[UUID] = set()
    for question in sorted(questions, key=lambda q: (q.position, q.created_at)):
        parent = question.show_if_question_id
        if parent is None or (
            parent in shown and (answers.get(parent) or "").strip().lower() == question.show_if_answer.strip().lower()
        ):
            shown.add(question.pk)
    return [q for q in questions if q.pk in shown]


def responses_of(work_order: WorkOrder) -> dict[UUID, str]:
    return dict(Response.objects.filter(work_order=work_order).values_list("question_id", "value"))


def question_get(question_id: UUID) -> Question | None:
    return Question.objects.filter(pk=question_id).first()


def response_list(*, filters: Any) -> QuerySet[Response]:
    queryset = Response.objects.all()
    if getattr(filters, "booking", None):
        queryset = queryset.filter(work_order_id=filters.booking)
    return filter_list(queryset, filters)


def vendor_visible_to(actor: Any) -> QuerySet[Vendor]:
    """Vendors with ``repeat_faults``: their jobs that the same fault came back after."""
    queryset = Vendor.objects.annotate(repeat_faults=Count("work_orders__repeats", distinct=True))
    if is_admin(actor):
        return queryset
    return queryset.filter(Q(company_id__in=staff_company_ids(actor)) | Q(user=actor))


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


def fittings_for_actor(*, actor: Any) -> QuerySet:
    """Serials fitted by repairs, newest first: platform admins all; company staff their
    companies'; an owner those at their listings; anyone else none."""
    if is_admin(actor):
        return fittings_visible(company_ids=None)
    if not getattr(actor, "is_authenticated", False):
        return fittings_visible(company_ids=[]).none()
    return fittings_visible(company_ids=list(staff_company_ids(actor)), listing_ids=listing_ids_owned_by(actor.pk))


def fitting_current_for_actor(*, actor: Any, serial_id: UUID) -> Any:
    row = fittings_for_actor(actor=actor).filter(serial_id=serial_id, removed_at__isnull=True).first()
    if row is None:
        raise NotFound("This serial is not fitted anywhere you can see.")
    return row


def active_part_ids(part_ids: list[UUID]) -> set[UUID]:
    return {pk for pk, part in parts_by_id(part_ids).items() if part.is_active}


def parts_cost_of(work_order: WorkOrder) -> dict[str, Decimal]:
    return job_parts_cost(job_id=work_order.pk)


# Costing, billing and owner approval ------------------------------------------------------


def costing_of(work_order: WorkOrder) -> WorkOrderCosting:
    """The job's costing row (made on first use)."""
    row, _ = WorkOrderCosting.objects.get_or_create(work_order=work_order)
    return row


def costing_for_update(work_order: WorkOrder) -> WorkOrderCosting:
    costing_of(work_order)
    return WorkOrderCosting.objects.select_for_update().get(work_order=work_order)


def charge_of(work_order_id: UUID) -> WorkOrderCharge | None:
    return WorkOrderCharge.objects.filter(work_order_id=work_order_id).first()


def owner_id_of(work_order: WorkOrder) -> UUID | None:
    """The owner of the job's listing (None without a listing)."""
    return work_order.listing.owner_id if work_order.listing_id else None


def tenant_id_of(work_order: WorkOrder) -> UUID | None:
    return work_order.lease.tenant_id if work_order.lease_id else None


def approval_threshold(*, company_id: UUID, owner_id: UUID | None) -> Decimal | None:
    """The owner's own threshold, else the company's default, else the setting (None: none)."""
    rows = {
        row.owner_id: row.amount
        for row in ApprovalThreshold.objects.filter(company_id=company_id).filter(
            Q(owner__isnull=True) | Q(owner_id=owner_id)
        )
    }
    if owner_id in rows:
        return rows[owner_id]
    if None in rows:
        return rows[None]
    default = settings.MAINTENANCE_APPROVAL_THRESHOLD
    return Decimal(default) if default else None


def _thresholds_visible_to(actor: Any) -> QuerySet[ApprovalThreshold]:
    queryset = ApprovalThreshold.objects.all()
    if not is_admin(actor):
        queryset = queryset.filter(company_id__in=staff_company_ids(actor))
    return queryset


def threshold_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[ApprovalThreshold]:
    return filter_list(
        _thresholds_visible_to(actor), filters, exact_fields=("company_id", "owner_id"), ordering_fields=["created_at"]
    )


def threshold_get_for_actor(*, actor: Any, threshold_id: UUID) -> ApprovalThreshold:
    row = _thresholds_visible_to(actor).filter(pk=threshold_id).first()
    if row is None:
        raise NotFound("Threshold not found.")
    return row


def company_staff_ids(company_id: UUID) -> list[str]:
    return [
        str(pk) for pk in company_member_user_ids(company_id, COMPANY_STAFF_ROLES).values_list("user_id", flat=True)
    ]


# SLA calendars and repeat faults -------------------------------------------------------------


def service_hours_of(company_id: UUID) -> tuple[ServiceHours | None, str]:
    """The company's service hours (None: the defaults) and its country."""
    hours = ServiceHours.objects.filter(company_id=company_id).select_related("company").first()
    if hours is not None:
        return hours, hours.company.country
    return None, company_country(company_id)


def earlier_fault(*, work_order: WorkOrder, since: datetime) -> WorkOrder | None:
    """The latest other job on the same unit and issue (or issue category) since ``since``."""
    if work_order.unit_id is None or (work_order.issue_id is None and work_order.other_issue_id is None):
        return None
    same = Q(issue_id=work_order.issue_id) if work_order.issue_id else Q(other_issue_id=work_order.other_issue_id)
    category = work_order.issue.category if work_order.issue_id else ""
    if category:
        same |= Q(issue__category=category)
    return (
        WorkOrder.objects.filter(same, unit_id=work_order.unit_id, created_at__gte=since)
        .exclude(pk=work_order.pk)
        .exclude(status__in=(WorkOrderStatus.CANCELLED, WorkOrderStatus.REJECTED))
        .order_by("-created_at")
        .first()
    )


def sla_at_risk(*, now: datetime, horizon: datetime, limit: int = 500) -> list[WorkOrder]:
    return list(
        WorkOrder.objects.filter(
            status__in=OPEN_FOR_SLA,
            sla_alerted_at__isnull=True,
            sla_paused_at__isnull=True,
            resolve_due_at__lte=horizon,
        )
        .select_related("vendor")
        .order_by("resolve_due_at")[:limit]
    )


# Preventive schedules --------------------------------------------------------------------


def schedule_visible_to(actor: Any) -> QuerySet[PreventiveSchedule]:
    if is_admin(actor):
        return PreventiveSchedule.objects.all()
    return PreventiveSchedule.objects.filter(company_id__in=staff_company_ids(actor))


def schedule_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[PreventiveSchedule]:
    return filter_list(
        schedule_visible_to(actor),
        filters,
        exact_fields=("company_id", "listing_id", "unit_id", "is_active"),
        search_fields=["title", "asset"],
        ordering_fields=["next_due_on", "created_at"],
    )


def schedule_get_for_actor(*, actor: Any, schedule_id: UUID) -> PreventiveSchedule:
    row = schedule_visible_to(actor).filter(pk=schedule_id).first()
    if row is None:
        raise NotFound("Schedule not found.")
    return row


def schedules_due(*, until: date) -> list[UUID]:
    return list(PreventiveSchedule.objects.filter(is_active=True, next_due_on__lte=until).values_list("pk", flat=True))


def schedule_lock(schedule_id: UUID) -> PreventiveSchedule | None:
    """The schedule, locked; None when another worker holds it (it is generating it)."""
    return PreventiveSchedule.objects.select_for_update(skip_locked=True).filter(pk=schedule_id).first()


def runs_to_remind(*, today: date) -> list[PreventiveRun]:
    runs = PreventiveRun.objects.filter(reminded_at__isnull=True).select_related("schedule", "work_order")
    return [
        run for run in runs.filter(due_on__gte=today) if run.due_on - timedelta(days=run.schedule.remind_days) <= today
    ]


# Photos ----------------------------------------------------------------------------------


def photos_of(work_order: WorkOrder) -> list[WorkOrderPhoto]:
    return list(WorkOrderPhoto.objects.filter(work_order=work_order).order_by("created_at"))


def photo_get(*, work_order: WorkOrder, photo_id: UUID) -> WorkOrderPhoto:
    row = WorkOrderPhoto.objects.filter(work_order=work_order, pk=photo_id).first()
    if row is None:
        raise NotFound("Photo not found.")
    return row


def photo_count(work_order: WorkOrder) -> int:
    return WorkOrderPhoto.objects.filter(work_order=work_order).count()


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
