"""Who may do what in communications."""

from typing import Any
from uuid import UUID

from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import company_ids_for_user, user_company_role

# Roles that answer support tickets and watch the dashboard of their company.
TICKET_HANDLER_ROLES = frozenset({Role.STAFF, Role.BRANCH_HEAD, Role.AGENT})
COMPANY_STAFF_ROLES = frozenset({Role.STAFF, Role.BRANCH_HEAD})


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def company_ids_with_roles(user: Any, roles: frozenset[str]) -> set[UUID]:
    """The companies where ``user`` holds one of ``roles``."""
    return {cid for cid in company_ids_for_user(user) if user_company_role(user, cid) in roles}


def can_notify(actor: Any, recipient: Any) -> bool:
    """Admins notify anyone; company staff notify the members of their companies."""
    if is_admin(actor):
        return True
    staff_of = company_ids_with_roles(actor, COMPANY_STAFF_ROLES)
    return bool(staff_of and staff_of & company_ids_for_user(recipient))


def handles_ticket(user: Any, ticket: Any) -> bool:
    """Staff, branch heads and agents of the ticket's company; admins for every ticket."""
    if is_admin(user):
        return True
    if ticket.company_id is None or not _authenticated(user):
        return False
    return user_company_role(user, ticket.company_id) in TICKET_HANDLER_ROLES


def is_ticket_handler(user: Any) -> bool:
    """May see a staff view of tickets at all (stats, assignment)."""
    return is_admin(user) or bool(company_ids_with_roles(user, TICKET_HANDLER_ROLES))


def can_send_outreach(user: Any) -> bool:
    """Agents, staff and branch heads of a company, and admins, message leads."""
    return is_admin(user) or bool(company_ids_with_roles(user, TICKET_HANDLER_ROLES))


def dashboard_groups(user: Any) -> list[str]:
    """The dashboard streams ``user`` may watch (empty: not staff)."""
    from domus.communications.realtime import dashboard_group

    if is_admin(user):
        return [dashboard_group(None)]
    return [dashboard_group(cid) for cid in sorted(company_ids_with_roles(user, COMPANY_STAFF_ROLES), key=str)]
