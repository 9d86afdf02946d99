"""Who may do what in the CRM. Reading is scoped by the selectors; these decide the writes."""

from typing import Any

from domus.core.policies import is_admin
from domus.crm.models import Client, Lead
from domus.organizations.selectors import COMPANY_WORKER_ROLES, company_roles, is_company_staff, staff_company_ids


def can_create_crm_records(user: Any) -> bool:
    """Platform admins and anyone who works for a company (agents, staff, branch heads)."""
    return is_admin(user) or any(role in COMPANY_WORKER_ROLES for role in company_roles(user).values())


def can_change_client(user: Any, client: Client) -> bool:
    return is_company_staff(user, client.company_id) or client.assigned_agent_id == getattr(user, "pk", None)


def can_change_lead(user: Any, lead: Lead) -> bool:
    return is_company_staff(user, lead.company_id) or lead.assigned_agent_id == getattr(user, "pk", None)


def can_view_pipeline_stats(user: Any) -> bool:
    return is_admin(user) or bool(staff_company_ids(user))
