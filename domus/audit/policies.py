"""Who may read the audit trail. Nobody may change it: rows are append-only."""

from typing import Any

from domus.core.policies import is_admin


def can_read_audit_log(user: Any) -> bool:
    """Platform admins only (the back office's ``system_admin``)."""
    return is_admin(user)
