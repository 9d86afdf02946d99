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
