"""Who may do what in the CRM. Reading is scoped by the selectors; these decide the writes."""

from typing import Any
from uuid import UUID

from domus.core.policies import is_admin
from domus.crm.models import Client, Lead
from domus.organizations.selectors import COMPANY_WORKER_ROLES, company_roles, is_company_staff, staff_company_ids


def worker_roles(user: Any) -> dict[UUID, str] | None:
    """The user's role in each of their companies, read once for ``can_create_crm_records``
    and the service's company check; None for a platform admin (neither needs them)."""
    return None if is_admin(user) else company_roles(user)


def can_create_crm_records(user: Any, roles: dict[UUID, str] | None = None) -> bool:
    """Platform admins and anyone who works for a company (agents, staff, branch heads).
    ``roles``: the user's ``company_roles``, when the caller has read them already."""
    if is_admin(user):
        return True
    return any(role in COMPANY_WORKER_ROLES for role in (roles if roles is not None else company_roles(user)).values())


def can_change_client(user: Any, client: Client) -> bool:
    return is_company_staff(user, client.company_id) or client.assigned_agent_id == getattr(user, "pk", None)


def can_change_lead(user: Any, lead: Lead) -> bool:
    return is_company_staff(user, lead.company_id) or lead.assigned_agent_id == getattr(user, "pk", None)


def can_view_pipeline_stats(user: Any) -> bool:
    return is_admin(user) or bool(staff_company_ids(user))
