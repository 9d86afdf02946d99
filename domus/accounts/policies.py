"""Who may do what with users, profiles and agent profiles. Reading is scoped by the
selectors; these decide the writes."""

from typing import Any

from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import is_company_staff


def _is_user(user: Any, user_id: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.pk == user_id)


def can_manage_users(user: Any) -> bool:
    """List, create, change and delete any user: platform admins only."""
    return is_admin(user)


def can_create_profile_for(user: Any, owner: Any) -> bool:
    return is_admin(user) or _is_user(user, owner.pk)


def can_edit_profile(user: Any, profile: Any) -> bool:
    return is_admin(user) or _is_user(user, profile.user_id)


def can_create_agent_profile_for(user: Any, agent: Any) -> bool:
    """Agents make their own; platform admins make one for any agent."""
    return is_admin(user) or (_is_user(user, agent.pk) and user.role == Role.AGENT)


def can_edit_agent_profile(user: Any, agent_profile: Any) -> bool:
    return is_admin(user) or _is_user(user, agent_profile.user_id)


def can_update_agent_profile(user: Any, agent_profile: Any) -> bool:
    """The agent and admins; the staff of the profile's company too, for its commission
    rate only (the service refuses anything else from them)."""
    return can_edit_agent_profile(user, agent_profile) or is_company_staff(user, agent_profile.company_id)
