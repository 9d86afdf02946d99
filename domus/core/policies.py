"""Role checks shared by every app's policies."""

from typing import Any

from domus.core.exceptions import PermissionDenied
from domus.core.roles import STAFF_ROLES, Role


def is_admin(user: Any) -> bool:
    """A platform admin (the seeds' Admin and ``system_admin``)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_superuser or user.role == Role.ADMIN))


def is_staff_role(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_superuser or user.role in STAFF_ROLES))


def require(allowed: bool, detail: str | None = None) -> None:
    """Raise the 403 of DESIGN.md unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(detail)
