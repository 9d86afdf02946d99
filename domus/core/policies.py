"""Role checks shared by every app's policies."""

from typing import Any

from domus.core.exceptions import PermissionDenied
from domus.core.roles import STAFF_ROLES, Role


def is_admin(user: Any) -> bool:
    """A platform admin (the management system's Admin, the back office's ``system_admin``)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_superuser or user.role == Role.ADMIN))


def is_staff_role(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_superuser or user.role in STAFF_ROLES))


def require(allowed: bool, detail: str | None = None) -> None:
    """Raise ``PermissionDenied`` (a 403 ``PERMISSION_ERROR`` in the one error shape) unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(detail)
