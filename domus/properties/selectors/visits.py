"""Reads of visits: customers see theirs, agents theirs, company staff their
company's listings' visits, admins all; anyone else gets the same 404."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list, first_instant
from domus.core.locks import hold, lock_key
from domus.core.policies import is_admin
from domus.organizations.selectors import staff_company_ids
from domus.properties.models import ACTIVE_VISIT_STATUSES, Listing, Visit
from domus.properties.schemas import VisitFilters
from domus.properties.selectors import public_listing_q


def visit_visible_to(actor: Any) -> QuerySet[Visit]:
    """The visits ``actor`` may read."""
    queryset = Visit.objects.select_related("listing")
    if is_admin(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    visible = Q(customer_id=actor.pk) | Q(agent_id=actor.pk)
    company_ids = staff_company_ids(actor)
    if company_ids:
        visible |= Q(listing__company_id__in=company_ids)
    return queryset.filter(visible)


def visit_list_for_actor(*, actor: Any, filters: VisitFilters) -> QuerySet[Visit]:
    queryset = visit_visible_to(actor)
    exact = {"status": filters.status, "listing_id": filters.listing, "agent_id": filters.agent}
    queryset = queryset.filter(**{field: value for field, value in exact.items() if value is not None})
    if filters.starts_after is not None:
        queryset = queryset.filter(starts_at__gte=first_instant(filters.starts_after))
    if filters.starts_before is not None:
        queryset = queryset.filter(starts_at__lt=first_instant(filters.starts_before))
    return filter_list(
        queryset,
        filters,
        search_fields=["note", "listing__title"],
        ordering_fields=["starts_at", "created_at", "status"],
        default_ordering=["starts_at", "pk"],
    )


def visit_get_for_actor(*, actor: Any, visit_id: UUID) -> Visit:
    """The visit if ``actor`` may read it; the same 404 whether it is missing or hidden."""
    visit = visit_visible_to(actor).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound("Visit not found.")
    return visit


def bookable_listing(listing_id: UUID) -> Listing | None:
    """The live, published, public listing a visit may be booked for, locked until the
    end of the transaction (bookings of one listing queue behind each other)."""
    return Listing.objects.select_for_update().filter(public_listing_q(), pk=listing_id).first()


def lock_customer(customer_id: UUID) -> None:
    """Lock the customer's user row until the end of the transaction: one customer's
    bookings queue behind each other, so their caps hold under concurrency. Taken before
    any listing or visit lock (the fixed order: customer, listing, visit)."""
    get_user_model().objects.select_for_update().filter(pk=customer_id).values_list("pk").first()


def open_visit_counts(
    *, customer_id: UUID, listing_id: UUID, agent_id: UUID, exclude_id: UUID | None = None
) -> tuple[int, int]:
    """How many open visits (requested or confirmed, not yet started) the customer holds
    for the listing, and with the agent."""
    queryset = Visit.objects.filter(
        customer_id=customer_id, status__in=ACTIVE_VISIT_STATUSES, starts_at__gt=timezone.now()
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    counts = queryset.aggregate(
        listing=Count("pk", filter=Q(listing_id=listing_id)), agent=Count("pk", filter=Q(agent_id=agent_id))
    )
    return counts["listing"], counts["agent"]


def visit_for_update(visit_id: UUID) -> Visit:
    return Visit.objects.select_for_update().select_related("listing").get(pk=visit_id)


def overlapping_visit(
    *, agent_id: UUID, listing_id: UUID, starts_at: datetime, ends_at: datetime, exclude_id: UUID | None = None
) -> Visit | None:
    """An active visit of the agent or of the listing whose time overlaps
    ``[starts_at, ends_at)``, if any, read under locks on the agent's and the listing's
    diaries held until commit (taken after the caller's row locks): two bookings that
    could clash queue and the second sees the first, instead of both writing and
    deadlocking on the exclusion constraints."""
    hold(lock_key("properties.visit.agent", agent_id), lock_key("properties.visit.listing", listing_id))
    queryset = Visit.objects.filter(
        Q(agent_id=agent_id) | Q(listing_id=listing_id),
        status__in=ACTIVE_VISIT_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.order_by("starts_at").first()


# Working hours of the viewing slots offered to customers (in TIME_ZONE), one hour each.
SLOT_FIRST_HOUR, SLOT_LAST_HOUR = 9, 17


def visit_free_slots(*, listing: Listing, days: int = 7, now: datetime | None = None) -> list[datetime]:
    """The starts of the hour-long viewing slots of the next ``days`` days (working
    hours, from the next whole hour) in which neither the listing's agent nor the
    listing has an active visit: what a customer may book. None without an agent."""
    if listing.agent_id is None:
        return []
    now = now or timezone.now()
    first = timezone.localtime(now).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    last = first + timedelta(days=days)
    busy = list(
        Visit.objects.filter(
            Q(agent_id=listing.agent_id) | Q(listing_id=listing.pk),
            status__in=ACTIVE_VISIT_STATUSES,
            starts_at__lt=last,
            ends_at__gt=first,
        ).values_list("starts_at", "ends_at")
    )
    slots, start = [], first
    while start < last:
        local = timezone.localtime(start)
        end = start + timedelta(hours=1)
        working = SLOT_FIRST_HOUR <= local.hour < SLOT_LAST_HOUR and local.weekday() < 6
        if working and not any(begins < end and ends > start for begins, ends in busy):
            slots.append(start)
        start = end
    return slots
