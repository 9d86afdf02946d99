"""Profiles (one per user) and agent profiles (one per agent)."""

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction

from domus.accounts.models import AgentProfile, Profile, User
from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, PermissionDenied, UnknownReference, ValidationFailed, reject_unknown_fields
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import company_exists, company_ids_for_user, is_company_staff

PROFILE_FIELDS = frozenset({"bio", "avatar_url", "date_of_birth", "address", "city", "country", "language", "timezone"})
AGENT_PROFILE_FIELDS = frozenset(
    {
        "company_id",
        "licence_number",
        "agency_name",
        "bio",
        "specialties",
        "languages",
        "commission_rate",
        "rating",
        "is_verified",
    }
)
# The platform's judgement of an agent, not the agent's own claim.
ADMIN_ONLY_AGENT_FIELDS = ("rating", "is_verified")
# What the agent's company pays them: set by its staff, never by the agent.
COMPANY_STAFF_AGENT_FIELDS = ("commission_rate",)


def _full_clean(instance: models.Model, *, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        raise ValidationFailed("Validation failed.", errors=errors) from None


def _insert_one_per_user(instance: models.Model, conflict: str) -> None:
    """Insert a one-per-user row; losing the race to a concurrent insert is the same 409."""
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError:
        if type(instance).objects.filter(user_id=instance.user_id).exists():
            raise Conflict(conflict) from None
        raise


# Profiles ----------------------------------------------------------------------------

PROFILE_EXISTS = "This user already has a profile; change it with PUT or PATCH."


@transaction.atomic
def profile_create(*, actor: Any, user: User, **fields: Any) -> Profile:
    """Create ``user``'s profile; 409 when they have one."""
    reject_unknown_fields(fields, PROFILE_FIELDS, "profile")
    if Profile.objects.filter(user=user).exists():
        raise Conflict(PROFILE_EXISTS)
    profile = Profile(user=user, **fields)
    _full_clean(profile, exclude=["user"])
    _insert_one_per_user(profile, PROFILE_EXISTS)
    audit_create(actor=actor, instance=profile)
    return profile


@transaction.atomic
def profile_update(*, actor: Any, profile: Profile, **fields: Any) -> Profile:
    """Change some of a profile's fields."""
    reject_unknown_fields(fields, PROFILE_FIELDS, "profile")
    before = audit_snapshot(profile)
    for name, value in fields.items():
        setattr(profile, name, value)
    _full_clean(profile, exclude=["user"])
    profile.save()
    audit_update(actor=actor, instance=profile, before=before)
    return profile


def profile_write_for(*, actor: Any, user: User, fields: dict[str, Any]) -> Profile:
    """Update ``user``'s profile, creating it first when they have none."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return profile_create(actor=actor, user=user, **fields)
    return profile_update(actor=actor, profile=profile, **fields)


@transaction.atomic
def profile_delete(*, actor: Any, profile: Profile) -> None:
    """Remove a profile (its user stays; POST makes a new one)."""
    audit_record(
        actor=actor,
        action="delete",
        resource_type=profile._meta.label_lower,
        resource_id=profile.pk,
        changes={"before": audit_snapshot(profile)},
    )
    profile.delete()


# Agent profiles ----------------------------------------------------------------------

AGENT_PROFILE_EXISTS = "This agent already has an agent profile; change it with PUT or PATCH."


def _check_admin_only(actor: Any, fields: dict[str, Any], current: AgentProfile) -> None:
    """Only platform admins set rating and is_verified; others may send the current value."""
    if is_admin(actor):
        return
    changed = [
        name
        for name in ADMIN_ONLY_AGENT_FIELDS
        if fields.get(name) is not None and fields[name] != getattr(current, name)
    ]
    if changed:
        raise PermissionDenied(f"Only platform admins can set {' and '.join(changed)}.")


def _changed(fields: dict[str, Any], current: AgentProfile) -> list[str]:
    return [name for name, value in fields.items() if value != getattr(current, name)]


def _check_company_staff_only(actor: Any, fields: dict[str, Any], current: AgentProfile) -> None:
    """The commission rate is set by the staff of the profile's company (and platform
    admins); the agent may send the current value back. Staff who are not the agent
    change nothing else (403 naming the fields)."""
    changed = _changed(fields, current)
    rate_fields = [name for name in changed if name in COMPANY_STAFF_AGENT_FIELDS]
    if rate_fields and not is_company_staff(actor, current.company_id):
        raise PermissionDenied(
            "Only the staff of the agent's company set the commission rate.",
            errors={name: ["Set by company staff, branch heads or admins only."] for name in rate_fields},
        )
    if is_admin(actor) or getattr(actor, "pk", None) == current.user_id:
        return
    others = [name for name in changed if name not in COMPANY_STAFF_AGENT_FIELDS]
    if others:
        raise PermissionDenied(
            "Company staff change only the commission rate of an agent's profile.",
            errors={name: ["Only the agent or an admin changes this."] for name in others},
        )


def _check_company(actor: Any, agent: User, company_id: UUID | None) -> None:
    """The company must exist; an agent (not an admin) may only name a company they
    are an active member of."""
    if company_id is None:
        return
    if not company_exists(company_id):
        raise UnknownReference("Unknown company.", errors={"company_id": ["No company with this id."]})
    if not is_admin(actor) and company_id not in company_ids_for_user(agent):
        raise ValidationFailed(
            "Not a member of this company.", errors={"company_id": ["The agent is not a member of this company."]}
        )


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None`` for the admin-only and company-staff fields (meaning: leave as is)."""
    kept = (*ADMIN_ONLY_AGENT_FIELDS, *COMPANY_STAFF_AGENT_FIELDS)
    return {k: v for k, v in fields.items() if not (k in kept and v is None)}


@transaction.atomic
def agent_profile_create(*, actor: Any, user: User, company_id: UUID | None = None, **fields: Any) -> AgentProfile:
    """Create the agent profile of ``user``, who must have the ``agent`` role; one per
    agent (409 for a second). ``rating`` and ``is_verified`` are set by platform admins
    only, ``commission_rate`` by the staff of the profile's company or admins (403);
    ``company_id`` must name an existing company (400)."""
    reject_unknown_fields(fields, AGENT_PROFILE_FIELDS - {"company_id"}, "agent profile")
    fields = _clean_fields(fields)
    if user.role != Role.AGENT:
        raise UnknownReference("Only agents have agent profiles.", errors={"user_id": ["This user is not an agent."]})
    if AgentProfile.objects.filter(user=user).exists():
        raise Conflict(AGENT_PROFILE_EXISTS)
    agent_profile = AgentProfile(user=user, company_id=company_id)
    _check_admin_only(actor, fields, agent_profile)
    _check_company_staff_only(actor, fields, agent_profile)
    _check_company(actor, user, company_id)
    for name, value in fields.items():
        setattr(agent_profile, name, value)
    _full_clean(agent_profile, exclude=["user", "company"])
    _insert_one_per_user(agent_profile, AGENT_PROFILE_EXISTS)
    audit_create(actor=actor, instance=agent_profile, company_id=company_id)
    return agent_profile


@transaction.atomic
def agent_profile_update(*, actor: Any, agent_profile: AgentProfile, **fields: Any) -> AgentProfile:
    """Change some of an agent profile's fields, under the rules of
    :func:`agent_profile_create`; the staff of the profile's company change only its
    commission rate."""
    reject_unknown_fields(fields, AGENT_PROFILE_FIELDS, "agent profile")
    fields = _clean_fields(fields)
    _check_admin_only(actor, fields, agent_profile)
    _check_company_staff_only(actor, fields, agent_profile)
    if "company_id" in fields and fields["company_id"] != agent_profile.company_id:
        _check_company(actor, agent_profile.user, fields["company_id"])
    before = audit_snapshot(agent_profile)
    for name, value in fields.items():
        setattr(agent_profile, name, value)
    _full_clean(agent_profile, exclude=["user", "company"])
    agent_profile.save()
    audit_update(actor=actor, instance=agent_profile, before=before, company_id=agent_profile.company_id)
    return agent_profile


@transaction.atomic
def agent_profile_delete(*, actor: Any, agent_profile: AgentProfile) -> None:
    """Remove an agent profile (the user and their account stay)."""
    audit_record(
        actor=actor,
        action="delete",
        resource_type=agent_profile._meta.label_lower,
        resource_id=agent_profile.pk,
        changes={"before": audit_snapshot(agent_profile)},
        company_id=agent_profile.company_id,
    )
    agent_profile.delete()
