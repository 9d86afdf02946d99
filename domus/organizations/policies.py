"""Who may do what with companies, memberships and branches. Reading is scoped by the
selectors (a company's members and platform admins); these decide the writes."""

from typing import Any

from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.models import Company, OnboardingStep
from domus.organizations.selectors import user_company_role

COMPANY_CREATOR_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.OWNER, Role.AGENT})
ADMIN_ONLY_STEPS = frozenset({OnboardingStep.VERIFY, OnboardingStep.REJECT})


def is_company_staff(user: Any, company: Company) -> bool:
    """An active ``staff`` member of ``company``."""
    return user_company_role(user, company.id) == Role.STAFF


def can_create_company(user: Any) -> bool:
    return is_admin(user) or (getattr(user, "is_authenticated", False) and user.role in COMPANY_CREATOR_ROLES)


def can_manage_company(user: Any, company: Company) -> bool:
    """Edit the company's details, its members and its branches."""
    return is_admin(user) or is_company_staff(user, company)


def can_delete_company(user: Any, company: Company) -> bool:
    """Platform admins always; the company's staff only while it is still a draft."""
    if is_admin(user):
        return True
    return company.status == Company.Status.DRAFT and is_company_staff(user, company)


def can_onboard(user: Any, company: Company, step: str) -> bool:
    """Verifying and rejecting are the platform's decisions; the company's staff submit
    and activate."""
    if step in ADMIN_ONLY_STEPS:
        return is_admin(user)
    return can_manage_company(user, company)
