"""Every write of companies, onboarding, memberships and branches. Each one is atomic,
audited with its company, and publishes its events after commit."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from domus.audit.services import audit_create, audit_diff, audit_record, audit_snapshot, audit_update
from domus.core.events import event_payload, publish
from domus.core.exceptions import Conflict, NotFound, UnknownReference, ValidationFailed, reject_unknown_fields
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.models import MEMBERSHIP_ROLES, Branch, Company, Membership, OnboardingStep
from domus.organizations.selectors import company_ever_had_branch, company_has_active_branch, company_staff_count

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

    Actor = AbstractUser | None
else:
    Actor = Any

ONBOARDING_EVENT = "company.onboarding_changed"
INVITED_EVENT = "membership.invited"
ACCEPTED_EVENT = "membership.accepted"
DECLINED_EVENT = "membership.declined"
COMPANY_FIELDS = frozenset(
    {
        "name",
        "legal_name",
        "registration_number",
        "tax_id",
        "email",
        "phone",
        "website",
        "address",
        "city",
        "country",
        "currency",
    }
)
BRANCH_FIELDS = frozenset(
    {"name", "code", "address", "city", "latitude", "longitude", "phone", "is_headquarters", "is_active"}
)
MEMBERSHIP_FIELDS = frozenset({"role", "branch", "is_active"})
_ROLE_VALUES = frozenset(value for value, _ in MEMBERSHIP_ROLES)
_SLUG_ATTEMPTS = 5
_COORDINATE_STEP = Decimal("0.000001")


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _lock_company(company_id: Any) -> Company:
    """Lock the company row so that the writes of one company that check invariants
    across rows (onboarding, headquarters, last staff member) run one at a time."""
    company = Company.objects.select_for_update().filter(pk=company_id).first()
    if company is None:
        raise NotFound("Company not found.")
    return company


# Companies ----------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:200].strip("-") or "company"
    taken = set(Company.all_objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _reject_status_change(status: str | None, current: str) -> None:
    if status is not None and status != current:
        raise ValidationFailed(
            "The status cannot be set here.",
            errors={"status": ["The status changes only through POST /organizations/companies/{id}/onboard/."]},
        )


def _clean_company(company: Company) -> None:
    for name in COMPANY_FIELDS:
        value = getattr(company, name)
        if isinstance(value, str):
            setattr(company, name, value.strip())
    company.country = company.country.upper()
    company.currency = company.currency.upper()
    company.full_clean(exclude=["slug", "created_by"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def company_create(*, actor: Actor, name: str, **fields: Any) -> Company:
    """Create a company in draft with a unique slug made from its name. The creator
    becomes its ``staff`` member unless they are a platform admin (who sees every
    company anyway). ``status`` may only be ``"draft"``: it moves through
    :func:`company_onboard`."""
    _reject_status_change(fields.pop("status", None), Company.Status.DRAFT)
    reject_unknown_fields(fields, COMPANY_FIELDS - {"name"}, "company")
    company = Company(name=name, created_by=actor if _authenticated(actor) else None, **fields)
    _clean_company(company)
    for attempt in range(_SLUG_ATTEMPTS):
        company.slug = _unique_slug(company.name)
        try:
            with transaction.atomic():
                company.save(force_insert=True)
            break
        except IntegrityError:
            # Another request took the slug between our read and our insert.
            if attempt == _SLUG_ATTEMPTS - 1:
                raise
    audit_create(actor=actor, instance=company, company_id=company.id)
    if _authenticated(actor) and not is_admin(actor):
        membership_create(actor=actor, company=company, user=actor, role=Role.STAFF)
    return company


@transaction.atomic
def company_update(*, actor: Actor, company: Company, **fields: Any) -> Company:
    """Change a company's business details. ``status`` is accepted only when it is the
    current one (so a client may send back what it read): it moves through
    :func:`company_onboard`. The slug never changes."""
    _reject_status_change(fields.pop("status", None), company.status)
    reject_unknown_fields(fields, COMPANY_FIELDS, "company")
    before = audit_snapshot(company)
    for name, value in fields.items():
        setattr(company, name, value)
    _clean_company(company)
    # Only the given fields: a concurrent onboarding step must not be overwritten.
    company.save(update_fields=[*fields, "updated_at"])
    audit_update(actor=actor, instance=company, before=before, company_id=company.id)
    return company


_BLOCKER_NOUNS = {"leases": "active lease", "listings": "published listing"}


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _deletion_blockers(company: Company) -> dict[str, int]:
    """What of the company is still live: running leases, listings on the portal."""
    # Imported here: leasing and properties build on this app's selectors.
    from domus.leasing.selectors import company_active_lease_count
    from domus.properties.selectors import company_published_listing_count

    counts = {
        "leases": company_active_lease_count(company.pk),
        "listings": company_published_listing_count(company.pk),
    }
    return {kind: count for kind, count in counts.items() if count}


@transaction.atomic
def company_delete(*, actor: Actor, company: Company) -> None:
    """Soft-delete a company: it disappears from every list, and its branches from the
    public ones; the row stays for the audit trail and the admin.

    Nothing of a company may stay live behind it: a company that is not yet ``active``
    has its published listings unpublished first; otherwise (and for any company with
    an active lease) the deletion is refused with 409, ``errors`` counting what blocks
    it per kind (``leases``, ``listings``)."""
    from domus.properties.services import company_listings_unpublish

    locked = _lock_company(company.pk)
    if locked.status != Company.Status.ACTIVE:
        company_listings_unpublish(actor=actor, company_id=locked.pk)
    blockers = _deletion_blockers(locked)
    if blockers:
        counted = {kind: _counted(count, _BLOCKER_NOUNS[kind]) for kind, count in blockers.items()}
        raise Conflict(
            f"The company still has {' and '.join(counted.values())}: "
            "end the leases and unpublish or move the listings first.",
            errors={kind: [text] for kind, text in counted.items()},
        )
    before = audit_snapshot(locked)
    locked.deleted_at = timezone.now()
    locked.save(update_fields=["deleted_at", "updated_at"])
    audit_update(actor=actor, instance=locked, before=before, action="delete", company_id=locked.id)


@transaction.atomic
def company_restore(*, actor: Actor, company: Company) -> Company:
    """Bring back a soft-deleted company with its slug, branches, members and listings as
    they were (listings unpublished by the deletion stay unpublished)."""
    locked = Company.all_objects.select_for_update().get(pk=company.pk)
    if locked.deleted_at is None:
        return locked
    before = audit_snapshot(locked)
    locked.deleted_at = None
    locked.save(update_fields=["deleted_at", "updated_at"])
    audit_update(actor=actor, instance=locked, before=before, action="restore", company_id=locked.id)
    return locked


def _onboarding_conflict(company: Company, step: str | None) -> Conflict:
    allowed = company.allowed_onboarding_steps()
    allowed_text = ", ".join(allowed) if allowed else "none"
    move = f"'{step}'" if step else "any onboarding step"
    detail = f"Cannot apply {move} to a company in status '{company.status}'. Allowed next steps: {allowed_text}."
    return Conflict(detail, errors={"step": [detail]})


@transaction.atomic
def company_onboard(*, actor: Actor, company: Company, step: str | None = None, note: str = "") -> Company:
    """Move a company one onboarding step: draft -submit-> submitted -verify-> verified
    -activate-> active, or submitted -reject-> draft. Without ``step`` the next forward
    step of the current status applies.

    The company row is locked first, so two concurrent steps apply one after the other
    and the second sees the first's result. Raises 409 for a move the current status
    does not allow, a submission with required fields missing, or an activation without
    an active branch; 400 for a rejection without a note. Permission is the caller's
    business (``policies.can_onboard``).
    """
    locked = _lock_company(company.pk)
    step = str(step) if step else locked.default_onboarding_step()
    if step is None or step not in locked.allowed_onboarding_steps():
        raise _onboarding_conflict(locked, step)
    note = note.strip()
    if step == OnboardingStep.SUBMIT:
        missing = locked.missing_submit_fields()
        if missing:
            raise Conflict(
                f"Fill in {', '.join(missing)} before submitting the company for verification.",
                errors={name: ["Required to submit the company for verification."] for name in missing},
            )
    elif step == OnboardingStep.ACTIVATE and not company_has_active_branch(locked):
        if company_ever_had_branch(locked) or not locked.address.strip():
            raise Conflict(
                "A company needs at least one active branch before it can be activated.",
                errors={"branches": ["Create an active branch first."]},
            )
        # A company that never opened a branch (its clients may have no branch paths, as the
        # management system's) gets its head office from its own address.
        head_office = Branch(
            company=locked,
            name="Head office",
            code="HQ",
            address=locked.address,
            city=locked.city,
            phone=locked.phone,
            is_headquarters=True,
        )
        head_office.save(force_insert=True)
        audit_create(actor=actor, instance=head_office, company_id=locked.id)
    elif step == OnboardingStep.REJECT and not note:
        raise ValidationFailed("A rejection needs a reason.", errors={"note": ["Say why the company is rejected."]})

    before = audit_snapshot(locked)
    source, target = Company.ONBOARDING_MOVES[OnboardingStep(step)]
    now = timezone.now()
    locked.status = target
    locked.onboarding_note = note
    if step == OnboardingStep.SUBMIT:
        locked.submitted_at = now
    elif step == OnboardingStep.VERIFY:
        locked.verified_at = now
    elif step == OnboardingStep.ACTIVATE:
        locked.activated_at = now
    elif step == OnboardingStep.REJECT:
        locked.submitted_at = None
    locked.save(
        update_fields=["status", "onboarding_note", "submitted_at", "verified_at", "activated_at", "updated_at"]
    )
    audit_update(actor=actor, instance=locked, before=before, action=f"onboard.{step}", company_id=locked.id)
    publish(
        ONBOARDING_EVENT,
        {
            "company_id": str(locked.id),
            "step": str(step),
            "from_status": str(source),
            "to_status": str(target),
            "actor_id": str(actor.pk) if _authenticated(actor) else None,
            "note": note,
        },
    )
    return locked


# Memberships --------------------------------------------------------------------------


def _check_membership_branch(company: Company, branch: Branch | None) -> None:
    if branch is not None and (branch.company_id != company.id or branch.is_deleted):
        raise UnknownReference(
            "The branch does not belong to this company.", errors={"branch_id": ["Not a branch of this company."]}
        )


def _check_membership_role(role: str) -> None:
    if role not in _ROLE_VALUES:
        raise ValidationFailed(
            "Unknown membership role.", errors={"role": [f"One of: {', '.join(sorted(_ROLE_VALUES))}."]}
        )


def _joins_directly(actor: Actor, user: "AbstractUser") -> bool:
    """Platform admins place users directly (they vouch for them, as in the admin site),
    and a company's creator joins it as they create it; everyone else invites."""
    return is_admin(actor) or (_authenticated(actor) and actor.pk == user.pk)


@transaction.atomic
def membership_create(
    *, actor: Actor, company: Company, user: "AbstractUser", role: str, branch: Branch | None = None
) -> Membership:
    """Invite ``user`` into ``company`` with ``role`` (optionally at one of its
    branches). The membership stays ``invited`` and grants nothing until the user
    accepts it (:func:`membership_accept`); the user is notified. A platform admin's
    addition (and a creator's own membership) is ``accepted`` at once. A user is in a
    company once: 409 otherwise."""
    _check_membership_role(role)
    _check_membership_branch(company, branch)
    existing = Membership.objects.filter(company=company, user=user).values_list("status", flat=True).first()
    if existing is not None:
        detail = (
            "This user is already invited to the company (the invitation waits for them)."
            if existing == Membership.Status.INVITED
            else "This user is already a member of the company."
        )
        raise Conflict(detail, errors={"user_id": [f"{detail} Change the existing membership instead."]})
    direct = _joins_directly(actor, user)
    membership = Membership.objects.create(
        company=company,
        user=user,
        role=role,
        branch=branch,
        status=Membership.Status.ACCEPTED if direct else Membership.Status.INVITED,
        invited_by=actor if _authenticated(actor) else None,
        accepted_at=timezone.now() if direct else None,
    )
    audit_create(actor=actor, instance=membership, company_id=company.id)
    if not direct:
        publish(
            INVITED_EVENT,
            event_payload(
                membership,
                actor=actor,
                recipients=[user.pk],
                company_name=company.name,
                role=role,
                subject=f"{company.name} invites you to join as {role}. Accept or decline it in your invitations.",
            ),
        )
    return membership


def _answer_invitation(*, actor: Actor, invitation: Membership, event: str, verb: str) -> Membership:
    """Lock the company, re-read the invitation (it must still be pending) and tell
    whoever sent it."""
    company = _lock_company(invitation.company_id)
    locked = Membership.objects.select_for_update().filter(pk=invitation.pk, user=actor).first()
    if locked is None or locked.status != Membership.Status.INVITED:
        raise NotFound("Invitation not found.")
    publish(
        event,
        event_payload(
            locked,
            actor=actor,
            recipients=[locked.invited_by_id],
            company_name=company.name,
            subject=f"{actor.get_full_name() or actor.get_username()} {verb} the invitation to {company.name}.",
        ),
    )
    return locked


@transaction.atomic
def membership_accept(*, actor: "AbstractUser", invitation: Membership) -> Membership:
    """The invited user accepts: the membership becomes ``accepted`` and takes effect."""
    membership = _answer_invitation(actor=actor, invitation=invitation, event=ACCEPTED_EVENT, verb="accepted")
    before = audit_snapshot(membership)
    membership.status = Membership.Status.ACCEPTED
    membership.accepted_at = timezone.now()
    membership.save(update_fields=["status", "accepted_at", "updated_at"])
    audit_update(actor=actor, instance=membership, before=before, action="accept", company_id=membership.company_id)
    return membership


@transaction.atomic
def membership_decline(*, actor: "AbstractUser", invitation: Membership) -> None:
    """The invited user declines: the invitation is removed (the audit trail keeps it)."""
    membership = _answer_invitation(actor=actor, invitation=invitation, event=DECLINED_EVENT, verb="declined")
    audit_record(
        actor=actor,
        action="decline",
        resource_type=membership._meta.label_lower,
        resource_id=membership.pk,
        changes=audit_diff(audit_snapshot(membership), {}),
        company_id=membership.company_id,
    )
    membership.delete()


def _ensure_staff_left(company: Company, membership: Membership) -> None:
    if company_staff_count(company, exclude=membership) == 0:
        raise Conflict(
            "A company must keep at least one active staff member.",
            errors={"role": ["This is the company's last active staff member."]},
        )


def _is_active_staff(membership: Membership) -> bool:
    return membership.is_active and membership.role == Role.STAFF and membership.status == Membership.Status.ACCEPTED


@transaction.atomic
def membership_update(*, actor: Actor, membership: Membership, **fields: Any) -> Membership:
    """Change a member's ``role``, ``branch`` (``None`` unassigns) or ``is_active``.
    A company keeps at least one active staff member: 409 otherwise."""
    reject_unknown_fields(fields, MEMBERSHIP_FIELDS, "membership")
    company = _lock_company(membership.company_id)
    membership.refresh_from_db(fields=["role", "branch", "is_active", "status"])
    was_staff = _is_active_staff(membership)
    if "role" in fields:
        _check_membership_role(fields["role"])
    if "branch" in fields:
        _check_membership_branch(company, fields["branch"])
    before = audit_snapshot(membership)
    for name, value in fields.items():
        setattr(membership, name, value)
    if was_staff and not _is_active_staff(membership):
        _ensure_staff_left(company, membership)
    membership.save(update_fields=[*fields, "updated_at"])
    audit_update(actor=actor, instance=membership, before=before, company_id=company.id)
    return membership


@transaction.atomic
def membership_delete(*, actor: Actor, membership: Membership) -> None:
    """Remove a user from a company (the audit trail keeps what the membership was).
    The company's last active staff member cannot be removed: 409."""
    company = _lock_company(membership.company_id)
    membership.refresh_from_db(fields=["role", "branch", "is_active", "status"])
    if _is_active_staff(membership):
        _ensure_staff_left(company, membership)
    audit_record(
        actor=actor,
        action="delete",
        resource_type=membership._meta.label_lower,
        resource_id=membership.pk,
        changes=audit_diff(audit_snapshot(membership), {}),
        company_id=company.id,
    )
    membership.delete()


# Branches -----------------------------------------------------------------------------


def _coordinate(value: Any) -> Decimal | None:
    """GPS coordinates arrive with any precision (floats too); six decimals (~0.1 m) are kept."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(_COORDINATE_STEP, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return value  # full_clean reports it


def _clean_branch(branch: Branch) -> None:
    errors: dict[str, list[str]] = {}
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = _coordinate(getattr(branch, name))
        setattr(branch, name, value)
        if isinstance(value, Decimal) and not -limit <= value <= limit:
            errors[name] = [f"Must be between -{limit} and {limit}."]
    if errors:
        raise ValidationFailed("Invalid coordinates.", errors=errors)
    for name in ("name", "code", "address", "city", "phone"):
        setattr(branch, name, getattr(branch, name).strip())
    branch.full_clean(exclude=["company"], validate_unique=False, validate_constraints=False)


def _check_branch_conflicts(company: Company, branch: Branch) -> None:
    """The code is unique and the headquarters single among the company's live branches
    (the database constraints back both; this says which one, in words)."""
    others = Branch.objects.filter(company=company).exclude(pk=branch.pk)
    if others.filter(code=branch.code).exists():
        message = f"Another branch of {company.name} already uses the code '{branch.code}'."
        raise Conflict(message, errors={"code": [message]})
    if branch.is_headquarters:
        headquarters = others.filter(is_headquarters=True).first()
        if headquarters is not None:
            message = (
                f"{company.name} already has a headquarters: {headquarters.name} ({headquarters.code}). "
                "Unset is_headquarters on it first."
            )
            raise Conflict(message, errors={"is_headquarters": [message]})


@transaction.atomic
def branch_create(*, actor: Actor, company: Company, name: str, code: str, **fields: Any) -> Branch:
    """Open a branch of ``company``. 409 when the code is taken among its live branches
    or when it would be a second headquarters; 400 for coordinates out of range."""
    reject_unknown_fields(fields, BRANCH_FIELDS - {"name", "code"}, "branch")
    locked = _lock_company(company.pk)
    branch = Branch(company=locked, name=name, code=code, **fields)
    _clean_branch(branch)
    _check_branch_conflicts(locked, branch)
    branch.save(force_insert=True)
    audit_create(actor=actor, instance=branch, company_id=locked.id)
    return branch


@transaction.atomic
def branch_update(*, actor: Actor, branch: Branch, **fields: Any) -> Branch:
    """Change a branch's details (never its company); the same conflicts as
    :func:`branch_create`."""
    reject_unknown_fields(fields, BRANCH_FIELDS, "branch")
    company = _lock_company(branch.company_id)
    before = audit_snapshot(branch)
    for name, value in fields.items():
        setattr(branch, name, value)
    _clean_branch(branch)
    _check_branch_conflicts(company, branch)
    branch.save(update_fields=[*fields, "updated_at"])
    audit_update(actor=actor, instance=branch, before=before, company_id=company.id)
    return branch


@transaction.atomic
def branch_delete(*, actor: Actor, branch: Branch) -> None:
    """Soft-delete a branch; its members stay in the company, unassigned from it."""
    company = _lock_company(branch.company_id)
    for membership in Membership.objects.filter(branch=branch):
        membership_update(actor=actor, membership=membership, branch=None)
    before = audit_snapshot(branch)
    branch.deleted_at = timezone.now()
    branch.save(update_fields=["deleted_at", "updated_at"])
    audit_update(actor=actor, instance=branch, before=before, action="delete", company_id=company.id)
