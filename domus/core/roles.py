"""Platform roles (docs/architecture.md "Tenancy and permissions"), shared by accounts and organizations."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Platform admin"
    STAFF = "staff", "Company staff"
    BRANCH_HEAD = "branch_head", "Branch head"
    AGENT = "agent", "Agent"
    OWNER = "owner", "Owner / landlord"
    TENANT = "tenant", "Tenant"
    CUSTOMER = "customer", "Customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.BRANCH_HEAD})


# The back office's role names, declared aliases of Domus's: its advisors are agents, its
# system admins platform admins.
ROLE_ALIASES: dict[str, str] = {"advisor": Role.AGENT, "system_admin": Role.ADMIN}


def role_alias(value: object) -> object:
    """The Domus role a declared alias names (``advisor`` -> ``agent``); anything else unchanged."""
    return ROLE_ALIASES.get(value, value) if isinstance(value, str) else value
