"""Who may do what with leases."""

from typing import Any
from uuid import UUID

from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import user_company_role

COMPANY_STAFF_ROLES = frozenset({Role.STAFF, Role.BRANCH_HEAD})


def is_company_staff(user: Any, company_id: UUID | None) -> bool:
    """A platform admin, or staff / branch head of the company."""
    return is_admin(user) or (company_id is not None and user_company_role(user, company_id) in COMPANY_STAFF_ROLES)


def can_manage_lease(user: Any, lease: Any) -> bool:
    return is_company_staff(user, lease.company_id)
