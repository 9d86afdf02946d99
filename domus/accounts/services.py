"""Account writes: login, logout, token refresh."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from domus.accounts import tokens
from domus.accounts.models import User
from domus.audit.services import audit_record
from domus.core.exceptions import AuthenticationFailed, RateLimited


def _failure_key(identity: str) -> str:
    return "login-failures:" + hashlib.sha256(identity.lower().encode()).hexdigest()


def _find_user(identifier: str) -> User | None:
    return User.objects.filter(Q(email__iexact=identifier) | Q(username__iexact=identifier)).first()


def auth_login(*, identifier: str, password: str) -> tuple[User, tokens.TokenPair]:
    """Check the credentials and issue a token pair.

    After ``LOGIN_MAX_FAILURES`` failed attempts on one account (or one unknown
    identifier) within ``LOGIN_LOCKOUT_SECONDS``, every attempt is refused until the
    window ends, whatever the password.
    """
    user = _find_user(identifier)
    key = _failure_key(str(user.pk) if user else identifier)
    if cache.get(key, 0) >= settings.LOGIN_MAX_FAILURES:
        raise RateLimited(
            "Too many failed login attempts for this account. Try again later.",
            retry_after=settings.LOGIN_LOCKOUT_SECONDS,
        )
    if user is None or not user.check_password(password):
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        cache.incr(key)
        audit_record(
            actor=None, action="login_failed", resource_type="accounts.user", resource_id=user.pk if user else ""
        )
        raise AuthenticationFailed("Invalid credentials.")
    if not user.is_active:
        raise AuthenticationFailed("This account is not active. Activate it from the e-mail we sent.")
    cache.delete(key)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    pair = tokens.issue_pair(user)
    audit_record(actor=user, action="login", resource_type="accounts.user", resource_id=user.pk)
    return user, pair


def auth_refresh(*, refresh: str) -> tokens.TokenPair:
    """Rotate a refresh token into a new pair."""
    return tokens.rotate(refresh)


def auth_logout(*, user: User, refresh: str | None) -> None:
    """Blacklist the given refresh token, or every refresh token of ``user``."""
    if refresh:
        tokens.revoke(refresh, user=user)
    else:
        tokens.revoke_all(user)
    audit_record(actor=user, action="logout", resource_type="accounts.user", resource_id=user.pk)
