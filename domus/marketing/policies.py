"""Who may do what in marketing: company staff run it; agents of the company read it."""

from typing import Any
from uuid import UUID

from domus.core.policies import is_admin
from domus.organizations.selectors import COMPANY_WORKER_ROLES, company_roles, is_company_staff, staff_company_ids


def readable_company_ids(user: Any) -> set[UUID]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return {cid for cid, role in company_roles(user).items() if role in COMPANY_WORKER_ROLES}


def can_manage(user: Any, company_id: UUID | None) -> bool:
    """Staff (and branch heads) of the company, and platform admins."""
    return is_admin(user) or is_company_staff(user, company_id)


def can_create(user: Any) -> bool:
    return is_admin(user) or bool(staff_company_ids(user))
