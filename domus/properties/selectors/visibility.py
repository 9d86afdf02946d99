"""Which listings an actor may read: the one rule every listing read starts from."""

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from domus.core.policies import is_admin
from domus.organizations.selectors import staff_company_ids
from domus.properties.models import PUBLIC_STATUSES, Listing


def authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def public_listing_q() -> Q:
    return Q(is_published=True, status__in=PUBLIC_STATUSES)


def visible_listings(*, admin: bool, user_id: UUID | None, company_ids: list[UUID]) -> QuerySet[Listing]:
    """Live listings visible to an admin (all), the public (``user_id`` None: the
    published ones), or a user: the public ones, their own, those they are the agent of
    and those of the companies ``company_ids`` they are staff of."""
    if admin:
        return Listing.objects.all()
    if user_id is None:
        return Listing.objects.filter(public_listing_q())
    visible = public_listing_q() | Q(owner_id=user_id) | Q(agent_id=user_id)
    if company_ids:
        visible |= Q(company_id__in=company_ids)
    return Listing.objects.filter(visible)


def visibility_of(actor: Any) -> tuple[bool, UUID | None, list[UUID]]:
    """What ``visible_listings`` needs of ``actor``: whether they are an admin, their id
    (None for the public) and the companies they are staff of."""
    if is_admin(actor):
        return True, None, []
    if not authenticated(actor):
        return False, None, []
    return False, actor.pk, sorted(staff_company_ids(actor))


def listing_visible_to(actor: Any) -> QuerySet[Listing]:
    """Live listings ``actor`` may read."""
    admin, user_id, company_ids = visibility_of(actor)
    return visible_listings(admin=admin, user_id=user_id, company_ids=company_ids)
