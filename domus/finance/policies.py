"""Who may do what with money."""

from typing import Any
from uuid import UUID

from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import company_ids_for_user, user_company_role

COMPANY_STAFF_ROLES = frozenset({Role.STAFF, Role.BRANCH_HEAD})


def is_company_staff(user: Any, company_id: UUID | None) -> bool:
    """A platform admin, or staff / branch head of the company."""
    return is_admin(user) or (company_id is not None and user_company_role(user, company_id) in COMPANY_STAFF_ROLES)


def staff_company_ids(user: Any) -> set[UUID]:
    return {cid for cid in company_ids_for_user(user) if user_company_role(user, cid) in COMPANY_STAFF_ROLES}


def can_pay_invoice(user: Any, invoice: Any) -> bool:
    return invoice.recipient_id == getattr(user, "id", None) or is_company_staff(user, invoice.company_id)
