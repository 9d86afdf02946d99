"""Reads of users, profiles and agent profiles, scoped to who is asking. Soft-deleted
users and their profiles are invisible to everyone here."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet

from domus.accounts.models import AgentProfile, Profile, User
from domus.accounts.schemas import AgentProfileFilters, ProfileFilters, UserFilters
from domus.core.exceptions import NotFound, UnknownReference
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.core.scope import Period

USER_ORDERING = ["email", "username", "first_name", "last_name", "role", "date_joined", "last_login", "created_at"]


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


# Users -------------------------------------------------------------------------------


def active_user(user_id: UUID) -> User | None:
    """The active, not deleted user with this id, or None."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def active_user_for_field(user_id: UUID, *, field: str) -> User:
    """The active user a request body names in ``field``; a 400 on that field when
    there is none (a reference in a body is a validation error, not a missing page)."""
    user = active_user(user_id)
    if user is None:
        raise UnknownReference("Unknown user.", errors={field: ["No active user with this id."]})
    return user


def _postal_lines(user: User) -> list[str]:
    lines = [user.get_full_name() or user.email]
    profile = getattr(user, "profile", None)
    if profile is not None:
        place = ", ".join(part for part in (profile.city, profile.country) if part)
        lines += [line for line in (profile.address, place) if line]
    return lines


def users_postal_lines(user_ids: Iterable[UUID]) -> dict[UUID, list[str]]:
    """Each user's name and postal address as printed on a document addressed to them
    (one query): full name (else e-mail), then the profile's address and its city and
    country when set."""
    users = User.all_objects.filter(pk__in=set(user_ids)).select_related("profile")
    return {user.pk: _postal_lines(user) for user in users}


def user_postal_lines(user_id: UUID | str) -> list[str]:
    """One user's postal lines (see ``users_postal_lines``); [] when unknown."""
    key = UUID(str(user_id))
    return users_postal_lines([key]).get(key, [])


def user_by_email_any(email: str) -> User | None:
    """The user holding ``email`` (ignoring case), deleted or deactivated ones included:
    for restoring an account whose address is still taken by its own soft-deleted row."""
    return User.all_objects.filter(email__iexact=email.strip()).first()


def user_visible_to(actor: Any) -> QuerySet[User]:
    """Live users: all of them for platform admins, only themselves for anyone else."""
    if is_admin(actor):
        return User.objects.all()
    if not _authenticated(actor):
        return User.objects.none()
    return User.objects.filter(pk=actor.pk)


def user_list_for_actor(*, actor: Any, filters: UserFilters) -> QuerySet[User]:
    users = user_visible_to(actor)
    if filters.role:
        users = users.filter(role=filters.role)
    if filters.is_active is not None:
        users = users.filter(is_active=filters.is_active)
    return filter_list(
        users,
        filters,
        search_fields=["email", "username", "first_name", "last_name"],
        ordering_fields=USER_ORDERING,
        default_ordering=["-created_at", "-pk"],
    )


def user_get_for_actor(*, actor: Any, user_id: UUID) -> User:
    """A user ``actor`` may see; the same 404 whether missing, deleted or hidden."""
    user = user_visible_to(actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound("User not found.")
    return user


# Profiles ----------------------------------------------------------------------------


def profile_visible_to(actor: Any) -> QuerySet[Profile]:
    """Profiles of live users: all for platform admins, else the caller's own."""
    profiles = Profile.objects.filter(user__deleted_at__isnull=True)
    if is_admin(actor):
        return profiles
    if not _authenticated(actor):
        return Profile.objects.none()
    return profiles.filter(user=actor)


def profile_list_for_actor(*, actor: Any, filters: ProfileFilters) -> QuerySet[Profile]:
    profiles = profile_visible_to(actor)
    if filters.city:
        profiles = profiles.filter(city__iexact=filters.city.strip())
    if filters.country:
        profiles = profiles.filter(country__iexact=filters.country.strip())
    return filter_list(
        profiles,
        filters,
        search_fields=["user__email", "user__username", "user__first_name", "user__last_name", "city"],
        ordering_fields=["created_at", "updated_at", "city", "country"],
        default_ordering=["-created_at", "-pk"],
    )


def profile_get_for_actor(*, actor: Any, profile_id: UUID) -> Profile:
    """A profile ``actor`` may see (their own, or any for admins); 404 otherwise."""
    profile = profile_visible_to(actor).filter(pk=profile_id).first()
    if profile is None:
        raise NotFound("Profile not found.")
    return profile


# Agent profiles ----------------------------------------------------------------------


def agent_profile_visible_to(actor: Any) -> QuerySet[AgentProfile]:
    """Agent profiles are public: those of active users for everyone, plus the caller's
    own; platform admins also see those of deactivated users."""
    profiles = AgentProfile.objects.filter(user__deleted_at__isnull=True).select_related("user", "company")
    if is_admin(actor):
        return profiles
    if _authenticated(actor):
        return profiles.filter(Q(user__is_active=True) | Q(user=actor))
    return profiles.filter(user__is_active=True)


def agent_profile_list_for_actor(*, actor: Any, filters: AgentProfileFilters) -> QuerySet[AgentProfile]:
    profiles = agent_profile_visible_to(actor)
    if filters.company:
        profiles = profiles.filter(company_id=filters.company)
    if filters.is_verified is not None:
        profiles = profiles.filter(is_verified=filters.is_verified)
    return filter_list(
        profiles,
        filters,
        search_fields=["user__first_name", "user__last_name", "user__username", "agency_name", "specialties"],
        ordering_fields=["rating", "created_at", "commission_rate"],
        default_ordering=["-created_at", "-pk"],
    )


def agent_profile_get_for_actor(*, actor: Any, agent_profile_id: UUID) -> AgentProfile:
    profile = agent_profile_visible_to(actor).filter(pk=agent_profile_id).first()
    if profile is None:
        raise NotFound("Agent profile not found.")
    return profile


def user_dashboard_rows(*, period: Period) -> list[dict[str, Any]]:
    """Every user per platform role and active flag: how many, and how many signed up
    during ``period`` (one query)."""
    rows = (
        User.objects.order_by()
        .values("role", "is_active")
        .annotate(count=Count("pk"), new=Count("pk", filter=period.q("created_at")))
    )
    return list(rows)
