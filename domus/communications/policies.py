"""Who may do what in communications."""

from typing import Any

from domus.core.policies import is_admin
from domus.organizations.selectors import (
    COMPANY_STAFF_ROLES,
    COMPANY_WORKER_ROLES,
    company_ids_for_user,
    company_ids_related_to,
    company_ids_with_roles,
    company_is_active,
    is_company_worker,
)

# Roles that answer support tickets of their company (its workers: staff, branch heads, agents).
TICKET_HANDLER_ROLES = COMPANY_WORKER_ROLES


def can_notify(actor: Any, recipient: Any) -> bool:
    """Admins notify anyone. Company staff notify the accepted members of their
    companies, and, for an ``active`` company only, the users it has a relationship
    with (a lease, a client or lead record): never a stranger."""
    if is_admin(actor):
        return True
    staff_of = company_ids_with_roles(actor, COMPANY_STAFF_ROLES)
    if not staff_of:
        return False
    if staff_of & company_ids_for_user(recipient):
        return True
    return any(company_is_active(company_id) for company_id in staff_of & company_ids_related_to(recipient.pk))


def handles_ticket(user: Any, ticket: Any) -> bool:
    """Staff, branch heads and agents of the ticket's company; admins for every ticket."""
    return is_company_worker(user, ticket.company_id)


def is_ticket_handler(user: Any) -> bool:
    """May see a staff view of tickets at all (stats, assignment); also who messages
    leads (``can_send_outreach``): a company's workers, and admins."""
    return is_admin(user) or bool(company_ids_with_roles(user, TICKET_HANDLER_ROLES))


can_send_outreach = is_ticket_handler


def dashboard_groups(user: Any) -> list[str]:
    """The dashboard streams ``user`` may watch (empty: not staff)."""
    from domus.communications.realtime import dashboard_group

    if is_admin(user):
        return [dashboard_group(None)]
    return [dashboard_group(cid) for cid in sorted(company_ids_with_roles(user, COMPANY_STAFF_ROLES), key=str)]
