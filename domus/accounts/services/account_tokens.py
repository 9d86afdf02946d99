"""Single-use, expiring tokens sent by e-mail (activation, password reset). The raw
token only ever exists in the e-mail; the database keeps its SHA-256."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from domus.accounts.models import AccountToken, User
from domus.core.exceptions import ValidationFailed

Purpose = AccountToken.Purpose


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def account_token_issue(*, user: User, purpose: str) -> str:
    """A new token for ``user``; earlier unused tokens of the same purpose stop working
    (only the newest e-mail counts). Answers the raw token, to be e-mailed."""
    now = timezone.now()
    AccountToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now, updated_at=now)
    raw = secrets.token_urlsafe(32)
    AccountToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=_digest(raw),
        expires_at=now + timedelta(hours=settings.ACCOUNT_TOKEN_HOURS),
    )
    return raw


def account_token_take(*, raw: str, purpose: str, invalid_detail: str, username: str | None = None) -> User:
    """Use up a token and answer its user. A token that is unknown, of another purpose,
    used, expired, of a deleted user or (with ``username``) of another user is refused
    with the one ``invalid_detail``, so the answer tells nothing of which it was."""
    token = (
        AccountToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_digest(raw), purpose=purpose)
        .first()
    )
    valid = (
        token is not None
        and token.is_usable
        and token.user.deleted_at is None
        and (username is None or token.user.username.lower() == username.strip().lower())
    )
    if not valid:
        raise ValidationFailed(invalid_detail, errors={"token": [invalid_detail]})
    token.used_at = timezone.now()
    token.save(update_fields=["used_at", "updated_at"])
    return token.user


def account_tokens_void(*, user: User) -> int:
    """Make every unused token of ``user`` unusable (deactivation, deletion)."""
    now = timezone.now()
    return AccountToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now, updated_at=now)
