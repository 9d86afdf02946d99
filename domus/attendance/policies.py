"""Who may do what in attendance: admins plan; branch heads review their branches."""

from typing import Any

from domus.attendance.models import AttendanceRequest
from domus.attendance.selectors import heads_branch
from domus.core.policies import is_admin
from domus.organizations.selectors import branch_scope_of_head


def can_plan(user: Any) -> bool:
    return is_admin(user)


def can_review(user: Any) -> bool:
    """Admins, and branch heads of at least one branch or company."""
    if is_admin(user):
        return True
    branches, companies = branch_scope_of_head(user)
    return bool(branches or companies)


def can_decide(user: Any, request: AttendanceRequest) -> bool:
    """An admin, or the head of the request's branch deciding someone else's day."""
    if request.attendance.advisor_id == getattr(user, "pk", None):
        return False
    return is_admin(user) or heads_branch(user, request.branch_id, request.company_id)


def can_read_branch_report(user: Any, branch: Any) -> bool:
    return is_admin(user) or heads_branch(user, branch.pk, branch.company_id)
