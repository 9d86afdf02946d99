"""Who may do what with listings, their units, the feature taxonomy and visits. Reading is
scoped by the selectors; these decide the writes."""

from typing import Any
from uuid import UUID

from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import COMPANY_STAFF_ROLES, user_company_role

LISTING_CREATOR_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.BRANCH_HEAD, Role.AGENT, Role.OWNER})


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_company_staff(user: Any, company_id: UUID | None) -> bool:
    """An active staff member (or branch head) of the company."""
    return company_id is not None and user_company_role(user, company_id) in COMPANY_STAFF_ROLES


def can_create_listing(user: Any) -> bool:
    """Owners, agents, company staff and admins list property; customers and tenants do not."""
    return is_admin(user) or (_authenticated(user) and user.role in LISTING_CREATOR_ROLES)


def can_manage_listing(user: Any, listing: Any) -> bool:
    """Change, delete and manage the units of a listing: its owner, its assigned agent,
    the staff of its company, and admins."""
    if is_admin(user):
        return True
    if not _authenticated(user):
        return False
    if user.pk in (listing.owner_id, listing.agent_id):
        return True
    return is_company_staff(user, listing.company_id)


def can_change_listing_company(user: Any, listing: Any) -> bool:
    """Attach, detach or move a listing between companies: its owner, the staff of its
    current company, and admins; never the assigned agent alone (the company's listing
    is not theirs to take away)."""
    if is_admin(user):
        return True
    if not _authenticated(user):
        return False
    return user.pk == listing.owner_id or is_company_staff(user, listing.company_id)


def can_manage_features(user: Any) -> bool:
    """The feature taxonomy is the platform's."""
    return is_admin(user)


# Visits -----------------------------------------------------------------------------


def can_handle_visit(user: Any, visit: Any) -> bool:
    """Confirm and complete: the visit's agent, the staff of the listing's company, admins."""
    if is_admin(user):
        return True
    if not _authenticated(user):
        return False
    return user.pk == visit.agent_id or is_company_staff(user, visit.listing.company_id)


def can_change_visit(user: Any, visit: Any) -> bool:
    """Reschedule, cancel, edit: the customer who asked, and whoever handles the visit."""
    return (_authenticated(user) and user.pk == visit.customer_id) or can_handle_visit(user, visit)


def can_delete_visit(user: Any, visit: Any) -> bool:
    """Remove the record: the customer who asked and admins."""
    return is_admin(user) or (_authenticated(user) and user.pk == visit.customer_id)
