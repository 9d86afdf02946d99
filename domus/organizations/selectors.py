"""Reads of companies, memberships and branches; the tenancy scope of every app."""

from uuid import UUID

from domus.core.policies import is_admin
from domus.organizations.models import Company, Membership


def company_ids_for_user(user) -> set[UUID]:
    """Ids of the companies ``user`` is an active member of."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Membership.objects.filter(user=user, is_active=True, company__deleted_at__isnull=True).values_list(
            "company_id", flat=True
        )
    )


def company_exists(company_id: UUID) -> bool:
    return Company.objects.filter(pk=company_id).exists()


def user_sees_all_companies(user) -> bool:
    """Platform admins see every company's rows."""
    return is_admin(user)
