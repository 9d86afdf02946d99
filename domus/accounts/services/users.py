"""Creating, changing and (softly) deleting users."""

import re
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.accounts import tokens
from domus.accounts.models import Profile, User
from domus.accounts.services.account_tokens import account_tokens_void
from domus.accounts.services.profiles import PROFILE_FIELDS, profile_write_for
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import Conflict, ValidationFailed
from domus.core.roles import Role

USER_FIELDS = frozenset({"email", "username", "first_name", "last_name", "phone", "role", "is_active"})
# What a user may not change about themselves (a platform admin does it for them).
SELF_LOCKED_FIELDS = ("role", "is_active")
EMAIL_TAKEN = "A user with this e-mail already exists."
USERNAME_TAKEN = "A user with this username already exists."
EMAIL_CHANGE_ELSEWHERE = "Change it with POST /api/v1/accounts/me/email/ (current password, then a confirmation link)."
_USERNAME_ATTEMPTS = 5

Errors = dict[str, list[str]]


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _merge(errors: Errors, more: Errors) -> None:
    for field, messages in more.items():
        errors.setdefault(field, []).extend(messages)


def _taken(field: str, value: str, *, exclude: User | None = None) -> bool:
    """Whether another user, deleted ones included (they keep their e-mail and
    username), has ``value`` in ``field``, ignoring case."""
    users = User.all_objects.filter(**{f"{field}__iexact": value})
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def _uniqueness_errors(user: User, *, check_username: bool = True) -> Errors:
    errors: Errors = {}
    if user.email and _taken("email", user.email, exclude=user):
        errors["email"] = [EMAIL_TAKEN]
    if check_username and user.username and _taken("username", user.username, exclude=user):
        errors["username"] = [USERNAME_TAKEN]
    return errors


def _refuse(errors: Errors, taken: Errors, detail: str) -> None:
    """A 400 with every problem when a field is malformed; else a 409 when an e-mail or
    username is another user's (the request is well formed; the data has it already)."""
    if errors:
        _merge(errors, taken)
        raise ValidationFailed(detail, errors=errors)
    if taken:
        raise Conflict(detail, errors=taken)


def _field_errors(user: User) -> Errors:
    """The model's own field checks (format, length, choices)."""
    try:
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {}


def password_errors(password: str, user: User, *, field: str) -> Errors:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS) as field errors."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        return {field: [str(m) for m in exc.messages]}
    return {}


def _username_from_email(email: str) -> str:
    """A free username made from the e-mail's local part: ``jane``, else ``jane2``, ..."""
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:140] or "user"
    taken = {
        name.lower() for name in User.all_objects.filter(username__istartswith=base).values_list("username", flat=True)
    }
    candidate, suffix = base, 2
    while candidate.lower() in taken:
        candidate, suffix = f"{base}{suffix}", suffix + 1
    return candidate


def _save_or_explain(user: User, **save_kwargs: Any) -> None:
    """Save ``user``; a unique constraint lost to a concurrent request becomes the same
    field error the checks before it give."""
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError:
        errors = _uniqueness_errors(user)
        if errors:
            raise Conflict("A user with these details already exists.", errors=errors) from None
        raise


def _insert(user: User, *, derived_username: bool) -> None:
    """Insert ``user``; a derived username taken meanwhile by a concurrent request is
    derived again."""
    for attempt in range(_USERNAME_ATTEMPTS):
        try:
            with transaction.atomic():
                user.save(force_insert=True)
            return
        except IntegrityError:
            errors = _uniqueness_errors(user, check_username=not derived_username)
            if errors:
                raise Conflict("A user with these details already exists.", errors=errors) from None
            if not derived_username or attempt == _USERNAME_ATTEMPTS - 1:
                raise
            user.username = _username_from_email(user.email)


def _grant_admin_site(user: User) -> None:
    """Platform admins (role ``admin``) use the Django admin as superusers; a user whose
    role changes away from ``admin`` loses it."""
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


@transaction.atomic
def user_create(
    *,
    actor: Any,
    email: str,
    password: str,
    username: str | None = None,
    role: str = Role.CUSTOMER,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    is_active: bool = True,
    validate_password: bool = True,
) -> User:
    """Create a user and their (empty) profile.

    The e-mail is stored in lower case; e-mail and username are unique ignoring case,
    deleted users included. Without ``username`` one is made from the e-mail. Every
    problem (format, uniqueness, the password validators unless ``validate_password``
    is off) comes back at once as a 400 with field errors.
    """
    user = User(
        email=normalize_email(email),
        username=(username or "").strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=phone.strip(),
        role=role,
        is_active=is_active,
    )
    _grant_admin_site(user)
    derived_username = not user.username
    if derived_username:
        user.username = _username_from_email(user.email)
    errors = _field_errors(user)
    if validate_password:
        _merge(errors, password_errors(password, user, field="password"))
    _refuse(errors, _uniqueness_errors(user, check_username=not derived_username), "The user could not be created.")
    user.set_password(password)
    _insert(user, derived_username=derived_username)
    Profile.objects.create(user=user)
    audit_create(actor=actor, instance=user)
    publish("user.created", {"user_id": str(user.pk), "role": user.role, "is_active": user.is_active})
    return user


def _apply(*, actor: Any, user: User, fields: dict[str, Any], action: str = "update") -> User:
    unknown = sorted(set(fields) - USER_FIELDS)
    if unknown:
        raise ValidationFailed(
            "Unknown user fields.", errors={name: ["Not a writable user field."] for name in unknown}
        )
    before = audit_snapshot(user)
    was_active = user.is_active
    for name, value in fields.items():
        if name == "email":
            value = normalize_email(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(user, name, value)
    _grant_admin_site(user)
    _refuse(_field_errors(user), _uniqueness_errors(user), "The user could not be updated.")
    _save_or_explain(user)
    if was_active and not user.is_active:
        tokens.revoke_all(user)
        account_tokens_void(user=user)
    audit_update(actor=actor, instance=user, before=before, action=action)
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, **fields: Any) -> User:
    """A platform admin changes a user (e-mail, username, names, phone, role, active).
    Deactivating signs the user out everywhere. Admins cannot deactivate themselves or
    change their own role (409), so the platform never loses its last admin by mistake."""
    if user.pk == getattr(actor, "pk", None):
        if fields.get("is_active") is False and user.is_active:
            raise Conflict("You cannot deactivate your own account.")
        if "role" in fields and fields["role"] != user.role:
            raise Conflict("You cannot change your own role; ask another admin.")
    return _apply(actor=actor, user=user, fields=fields)


@transaction.atomic
def user_update_me(*, actor: User, profile: dict[str, Any] | None = None, **fields: Any) -> User:
    """The caller changes their own account and, with ``profile``, their profile
    (created when missing). ``role``, ``is_active`` and ``email`` are refused with a 400
    unless they equal the current values: the e-mail changes only through
    :func:`email_change_request` and the link it sends."""
    locked = {
        name: ["Cannot be changed on your own account; a platform admin can change it."]
        for name in SELF_LOCKED_FIELDS
        if fields.get(name) is not None and fields[name] != getattr(actor, name)
    }
    if locked:
        raise ValidationFailed("You cannot change your own role or active status.", errors=locked)
    email = fields.pop("email", None)
    if email is not None and normalize_email(email) != actor.email:
        raise ValidationFailed(
            "Your e-mail address changes through POST /api/v1/accounts/me/email/ (password and confirmation link).",
            errors={"email": [EMAIL_CHANGE_ELSEWHERE]},
        )
    for name in SELF_LOCKED_FIELDS:
        fields.pop(name, None)
    _apply(actor=actor, user=actor, fields=fields)
    if profile is not None:
        unknown = sorted(set(profile) - PROFILE_FIELDS)
        if unknown:
            raise ValidationFailed(
                "Unknown profile fields.", errors={f"profile.{n}": ["Unknown field."] for n in unknown}
            )
        # The caller was read with its profile (``accounts.auth``): the answer shows the new one.
        actor.profile = profile_write_for(actor=actor, user=actor, fields=profile)
    return actor


@transaction.atomic
def user_delete(*, actor: Any, user: User) -> None:
    """Soft-delete: the user disappears from every list, cannot log in, and every
    refresh and e-mailed token of theirs stops working. Nobody deletes themselves (409)."""
    if user.pk == getattr(actor, "pk", None):
        raise Conflict("You cannot delete your own account.")
    before = audit_snapshot(user)
    user.deleted_at = timezone.now()
    user.is_active = False
    user.save(update_fields=["deleted_at", "is_active", "updated_at"])
    tokens.revoke_all(user)
    account_tokens_void(user=user)
    audit_update(actor=actor, instance=user, before=before, action="delete")
    publish("user.deleted", {"user_id": str(user.pk)})


@transaction.atomic
def user_restore(*, actor: Any, user: User, password: str | None = None) -> User:
    """Bring back a soft-deleted or deactivated user: listed again and able to log in,
    with ``password`` set anew when given. Tokens revoked by the deletion stay void."""
    before = audit_snapshot(user)
    user.deleted_at = None
    user.is_active = True
    fields = ["deleted_at", "is_active", "updated_at"]
    if password is not None:
        user.set_password(password)
        fields.append("password")
    user.save(update_fields=fields)
    audit_update(actor=actor, instance=user, before=before, action="restore")
    publish("user.restored", {"user_id": str(user.pk)})
    return user
