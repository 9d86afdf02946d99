"""Deciding an approval request: approve or reject with a reason; the decision updates the
attendance day (lateness excused, location accepted or the day refused, overtime counted)
and both rows are audited."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from domus.attendance import selectors
from domus.attendance.models import AttendanceRequest, RequestKind, RequestStatus
from domus.attendance.services.punches import attendance_settle
from domus.audit.services import audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, ValidationFailed


@transaction.atomic
def request_decide(*, actor: Any, request: AttendanceRequest, approve: bool, reason: str = "") -> AttendanceRequest:
    """Approve or reject a pending request (a rejection needs a reason). Locks the
    attendance day first, then the request, so two deciders queue."""
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationFailed("A rejection needs a reason.", errors={"reason": ["Required to reject."]})
    attendance = selectors.attendance_for_update(attendance_id=request.attendance_id)
    request = AttendanceRequest.objects.select_for_update().filter(pk=request.pk).first()
    if attendance is None or request is None:
        raise NotFound("Approval request not found.")
    if request.status != RequestStatus.PENDING:
        raise Conflict(f"This request was already {request.status.lower()}.")
    before_request, before_day = audit_snapshot(request), audit_snapshot(attendance)
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decided_by, request.decided_at, request.reason = actor, timezone.now(), reason
    request.save()
    if request.kind == RequestKind.LATE and approve:
        attendance.is_late = False
    if request.kind == RequestKind.OT:
        attendance.overtime_minutes = request.minutes if approve else 0
    attendance_settle(attendance)
    attendance.save()
    verb = "approve" if approve else "reject"
    audit_update(actor=actor, instance=request, before=before_request, action=verb, company_id=request.company_id)
    audit_update(actor=actor, instance=attendance, before=before_day, company_id=attendance.company_id)
    return request
