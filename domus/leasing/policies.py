"""Who may do what with leases."""

from typing import Any

from domus.organizations.selectors import is_company_staff


def can_manage_lease(user: Any, lease: Any) -> bool:
    return is_company_staff(user, lease.company_id)
