"""Signing in and out, token refresh, sign-up and activation, and the password flows."""

import hashlib
import math
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from domus.accounts import tokens
from domus.accounts.models import AccountToken, User
from domus.accounts.services.account_tokens import account_token_take
from domus.accounts.services.users import EMAIL_TAKEN, normalize_email, password_errors, user_create
from domus.accounts.tasks import send_account_mail
from domus.audit.services import audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import AuthenticationFailed, Conflict, RateLimited, ValidationFailed
from domus.core.roles import Role
from domus.core.throttling import security_cache

SELF_REGISTER_ROLES = frozenset({Role.CUSTOMER, Role.OWNER, Role.TENANT, Role.AGENT})
INVALID_ACTIVATION = "This activation link is invalid or has expired."
INVALID_RESET = "This password reset link is invalid or has expired."
USER = "accounts.user"


# Login lockout -----------------------------------------------------------------------


def _identity_key(prefix: str, identity: str) -> str:
    return f"{prefix}:" + hashlib.sha256(identity.lower().encode()).hexdigest()


def _find_user(identifier: str) -> User | None:
    """The live user an identifier names. An e-mail match wins, so a username can
    never shadow someone's e-mail address."""
    if "@" in identifier:
        user = User.objects.filter(email__iexact=identifier).first()
        if user is not None:
            return user
    return User.objects.filter(username__iexact=identifier).first()


def _count_failure(identity: str) -> None:
    """Count a failed login; the ``LOGIN_MAX_FAILURES``-th within the window locks the
    identity until ``LOGIN_LOCKOUT_SECONDS`` have passed."""
    key = _identity_key("login-failures", identity)
    window = settings.LOGIN_LOCKOUT_SECONDS
    security_cache.add(key, 0, timeout=window)
    try:
        failures = security_cache.incr(key)
    except ValueError:  # the window expired between add and incr
        security_cache.add(key, 1, timeout=window)
        failures = 1
    if failures >= settings.LOGIN_MAX_FAILURES:
        security_cache.set(_identity_key("login-locked", identity), time.time() + window, timeout=window)


def _check_not_locked(identity: str) -> None:
    locked_until = security_cache.get(_identity_key("login-locked", identity))
    if locked_until is not None:
        raise RateLimited(
            "Too many failed login attempts for this account. Try again later.",
            retry_after=max(1, math.ceil(locked_until - time.time())),
        )


def login_failures_clear(user: User) -> None:
    for prefix in ("login-failures", "login-locked"):
        security_cache.delete(_identity_key(prefix, str(user.pk)))


def password_confirm(*, user: User, password: str, field: str = "password") -> None:
    """Re-check a signed-in user's password before a sensitive change. Wrong answers
    count towards the same lockout as failed logins (a stolen access token is no way to
    guess the password); a locked account is refused with the 429."""
    identity = str(user.pk)
    _check_not_locked(identity)
    if not user.check_password(password):
        _count_failure(identity)
        raise ValidationFailed("The current password is incorrect.", errors={field: ["Incorrect password."]})


# Sessions ----------------------------------------------------------------------------


def credentials_verify(*, identifier: str, password: str) -> User:
    """The user whose password this is, for every way in (the API and the admin), with
    one lockout counter per account.

    After ``LOGIN_MAX_FAILURES`` failed attempts on one account (or one unknown
    identifier) within ``LOGIN_LOCKOUT_SECONDS``, every attempt is refused with a 429
    until the lock ends, whatever the password. An unknown identifier costs the same
    password hashing as a known one, so the time taken tells nothing either.
    """
    user = _find_user(identifier)
    identity = str(user.pk) if user else identifier
    _check_not_locked(identity)
    if user is None:
        make_password(password)  # the work a known account's check would do
    if user is None or not user.check_password(password):
        _count_failure(identity)
        audit_record(actor=None, action="login_failed", resource_type=USER, resource_id=user.pk if user else "")
        raise AuthenticationFailed("Invalid credentials.")
    login_failures_clear(user)
    return user


def auth_login(*, identifier: str, password: str) -> tuple[User, tokens.TokenPair]:
    """Check the credentials (:func:`credentials_verify`: lockout, constant work) and
    issue a token pair."""
    user = credentials_verify(identifier=identifier, password=password)
    if not user.is_active:
        raise AuthenticationFailed("This account is not active. Activate it from the e-mail we sent.")
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    pair = tokens.issue_pair(user)
    audit_record(actor=user, action="login", resource_type=USER, resource_id=user.pk)
    return user, pair


def session_login(*, identifier: str, password: str) -> User:
    """Check the credentials for a web session (the same lockout and constant work as
    :func:`auth_login`); the caller starts the session. No tokens are issued."""
    user = credentials_verify(identifier=identifier, password=password)
    if not user.is_active:
        raise AuthenticationFailed("This account is not active. Activate it from the e-mail we sent.")
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit_record(actor=user, action="login", resource_type=USER, resource_id=user.pk)
    return user


def auth_refresh(*, refresh: str) -> tokens.TokenPair:
    """Rotate a refresh token into a new pair."""
    return tokens.rotate(refresh)


def auth_logout(*, user: User, refresh: str | None) -> None:
    """Blacklist the given refresh token, or every refresh token of ``user``."""
    if refresh:
        tokens.revoke(refresh, user=user)
    else:
        tokens.revoke_all(user)
    audit_record(actor=user, action="logout", resource_type=USER, resource_id=user.pk)


# E-mails -----------------------------------------------------------------------------


def account_mail_queue(kind: str, user: User, address: str = "") -> None:
    """Queue one account e-mail (a kind of ``domus.accounts.services.mails``) after
    commit. Only the user's id travels: the mail task makes any token itself."""
    user_id = str(user.pk)
    # robust: a mail that cannot be queued is logged and never fails the request.
    transaction.on_commit(lambda: send_account_mail.delay(kind=kind, user_id=user_id, address=address), robust=True)


# Sign-up and activation --------------------------------------------------------------


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    password_confirm: str | None = None,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    role: str = Role.CUSTOMER,
) -> User | None:
    """Sign up: an inactive user (customer, owner, tenant or agent) and their profile,
    and an activation token e-mailed after commit; with ``SIGNUP_ACTIVATION = "none"``
    the user is active at once and no token is sent.

    An address that already has an account is not an error (that would tell anyone
    which addresses have accounts): nothing is created, the owner of the address is
    told someone tried, and the answer is ``None``; the caller answers the same either
    way. Every other problem is still refused: a 400 (password, role), a 409 (a username
    taken)."""
    if role not in SELF_REGISTER_ROLES:
        raise ValidationFailed(
            "This role cannot be chosen at sign-up.",
            errors={"role": [f"Choose one of: {', '.join(sorted(SELF_REGISTER_ROLES))}."]},
        )
    if password_confirm is not None and password_confirm != password:
        raise ValidationFailed("The passwords do not match.", errors={"password_confirm": ["Must equal password."]})
    activation_required = settings.SIGNUP_ACTIVATION == "email"
    try:
        user = user_create(
            actor=None,
            email=email,
            password=password,
            username=username,
            role=role,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            is_active=not activation_required,
        )
    except (ValidationFailed, Conflict) as exc:
        if EMAIL_TAKEN not in exc.errors.get("email", []):
            raise
        others = {field: [m for m in messages if m != EMAIL_TAKEN] for field, messages in exc.errors.items()}
        others = {field: messages for field, messages in others.items() if messages}
        if others:  # the same 400 (or 409: a username taken) a new address would get
            raise type(exc)(exc.detail, errors=others) from None
        # Only the address is taken: answer as for a new account, and tell its owner.
        owner = User.objects.filter(email__iexact=normalize_email(email)).first()
        if owner is not None:
            account_mail_queue("signup_attempt", owner)
        return None
    if activation_required:
        account_mail_queue("activation", user)
    else:
        publish("user.activated", {"user_id": str(user.pk)})
    return user


@transaction.atomic
def user_activate(*, username: str, token: str) -> User:
    """Activate the account the token was sent for. A wrong, used or expired token, or
    one of another user, gets one 400 that does not say which."""
    user = account_token_take(
        raw=token, purpose=AccountToken.Purpose.ACTIVATION, invalid_detail=INVALID_ACTIVATION, username=username
    )
    if not user.is_active:
        before = audit_snapshot(user)
        user.is_active = True
        user.save(update_fields=["is_active", "updated_at"])
        audit_update(actor=user, instance=user, before=before, action="activate")
        publish("user.activated", {"user_id": str(user.pk)})
    return user


# Passwords ---------------------------------------------------------------------------


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, refresh: str | None = None) -> int:
    """Change the password. Every refresh token of ``user`` is revoked except those of
    ``refresh``'s family (the session making the change) when given. Answers how many
    tokens were revoked."""
    if not user.check_password(old_password):
        raise ValidationFailed("The current password is incorrect.", errors={"old_password": ["Incorrect password."]})
    keep_family = None
    if refresh:
        try:
            keep_family = tokens.live_family(refresh, user=user)
        except AuthenticationFailed as exc:
            raise ValidationFailed("The refresh token is not valid.", errors={"refresh": [exc.detail]}) from None
    errors = password_errors(new_password, user, field="new_password")
    if new_password == old_password:
        errors.setdefault("new_password", []).append("The new password must differ from the current one.")
    if errors:
        raise ValidationFailed("The new password is not acceptable.", errors=errors)
    _set_password(user, new_password)
    revoked = tokens.revoke_all(user, keep_family=keep_family)
    audit_record(
        actor=user,
        action="password_change",
        resource_type=USER,
        resource_id=user.pk,
        changes={"refresh_tokens_revoked": revoked},
    )
    return revoked


@transaction.atomic
def password_forgot(*, email: str) -> None:
    """E-mail a password reset token when an active user has this e-mail; do nothing
    otherwise. The caller answers the same either way (no account enumeration)."""
    user = User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()
    if user is None:
        return
    account_mail_queue("password_reset", user)
    audit_record(actor=None, action="password_reset_requested", resource_type=USER, resource_id=user.pk)


@transaction.atomic
def password_reset(*, token: str, new_password: str) -> User:
    """Set a new password with an e-mailed reset token (single use, expiring), end
    every session of the user and lift a login lockout."""
    user = account_token_take(raw=token, purpose=AccountToken.Purpose.PASSWORD_RESET, invalid_detail=INVALID_RESET)
    if not user.is_active:
        raise ValidationFailed(INVALID_RESET, errors={"token": [INVALID_RESET]})
    errors = password_errors(new_password, user, field="new_password")
    if errors:
        raise ValidationFailed("The new password is not acceptable.", errors=errors)
    _set_password(user, new_password)
    revoked = tokens.revoke_all(user)
    transaction.on_commit(lambda: login_failures_clear(user))
    audit_record(
        actor=user,
        action="password_reset",
        resource_type=USER,
        resource_id=user.pk,
        changes={"refresh_tokens_revoked": revoked},
    )
    return user
