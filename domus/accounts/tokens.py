"""JWT access and refresh tokens: short-lived access tokens, refresh tokens that rotate
on use and are blacklisted on logout. Reusing a rotated refresh token revokes its
whole family (the token was stolen or replayed)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domus.accounts.models import RefreshToken, User
from domus.core.exceptions import AuthenticationFailed
from domus.core.ids import uuid7

ACCESS = "access"
REFRESH = "refresh"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    refresh_jti: str


def _encode(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)


def decode(token: str, *, expected_type: str) -> dict[str, Any]:
    """The claims of a valid token of ``expected_type``; 401 otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[settings.JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "type"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("Token has expired.") from None
    except jwt.PyJWTError:
        raise AuthenticationFailed("Token is invalid.") from None
    if claims["type"] != expected_type:
        raise AuthenticationFailed(f"Expected an {expected_type} token.")
    return claims


# Verified access tokens' claims, so a token presented again is not decoded and verified
# again: the signature and claims are checked once per token (and key), the expiry on
# every use. Bounded: emptied when full.
_ACCESS_CLAIMS: dict[str, tuple[str, dict[str, Any]]] = {}
_ACCESS_CLAIMS_MAX = 4096


def decode_access(token: str) -> dict[str, Any]:
    """The claims of a valid access token (``decode(token, expected_type=ACCESS)``),
    remembered per token: a token seen before is only checked for its expiry (and its
    issue time) against the clock."""
    key = f"{settings.JWT_ALGORITHM}:{settings.JWT_SIGNING_KEY}"
    known = _ACCESS_CLAIMS.get(token)
    if known is not None and known[0] == key:
        claims = known[1]
        now = datetime.now(tz=UTC).timestamp()
        if claims["iat"] <= now < claims["exp"]:
            return dict(claims)
    claims = decode(token, expected_type=ACCESS)
    if len(_ACCESS_CLAIMS) >= _ACCESS_CLAIMS_MAX:
        _ACCESS_CLAIMS.clear()
    _ACCESS_CLAIMS[token] = (key, claims)
    return dict(claims)


def issue_pair(user: User, *, family: str | None = None) -> TokenPair:
    """A new access + refresh pair for ``user`` (the refresh token is recorded)."""
    now = timezone.now()
    access_exp = now + settings.JWT_ACCESS_LIFETIME
    refresh_exp = now + settings.JWT_REFRESH_LIFETIME
    refresh_jti = uuid7().hex
    RefreshToken.objects.create(jti=refresh_jti, user=user, family=family or refresh_jti, expires_at=refresh_exp)
    base = {"sub": str(user.pk), "iat": int(now.timestamp())}
    access = _encode({**base, "type": ACCESS, "jti": uuid7().hex, "role": user.role, "exp": access_exp})
    refresh = _encode({**base, "type": REFRESH, "jti": refresh_jti, "exp": refresh_exp})
    return TokenPair(
        access=access,
        refresh=refresh,
        access_expires_at=access_exp,
        refresh_expires_at=refresh_exp,
        refresh_jti=refresh_jti,
    )


def issue_access(user: User, *, lifetime: timedelta | None = None) -> str:
    """An access token alone (no refresh token is recorded), for at most
    ``JWT_ACCESS_LIFETIME``: what a page signed in by session hands its own script to open
    the WebSocket (``/ws/`` authenticates by token)."""
    now = timezone.now()
    lifetime = min(lifetime or settings.JWT_ACCESS_LIFETIME, settings.JWT_ACCESS_LIFETIME)
    claims = {"sub": str(user.pk), "iat": int(now.timestamp()), "type": ACCESS, "jti": uuid7().hex}
    return _encode({**claims, "role": user.role, "exp": now + lifetime})


def rotate(refresh: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one is blacklisted. A rotated
    token presented again revokes its whole family (it was stolen or replayed)."""
    claims = decode(refresh, expected_type=REFRESH)
    # The 401s are raised after the block commits, so a family revocation is kept.
    with transaction.atomic():
        record = RefreshToken.objects.select_for_update().select_related("user").filter(jti=claims["jti"]).first()
        if record is None:
            detail = "Token is invalid."
        elif record.revoked_at is not None:
            if record.replaced_by:
                RefreshToken.objects.filter(family=record.family, revoked_at__isnull=True).update(
                    revoked_at=timezone.now()
                )
            detail = "Token has been revoked."
        elif not record.user.is_active or record.user.deleted_at is not None:
            detail = "User is inactive."
        else:
            pair = issue_pair(record.user, family=record.family)
            record.revoked_at = timezone.now()
            record.replaced_by = pair.refresh_jti
            record.save(update_fields=["revoked_at", "replaced_by"])
            return pair
    raise AuthenticationFailed(detail)


def revoke(refresh: str, *, user: User | None = None) -> None:
    """Blacklist a refresh token (logout). With ``user``, only that user's token."""
    claims = decode(refresh, expected_type=REFRESH)
    tokens = RefreshToken.objects.filter(jti=claims["jti"], revoked_at__isnull=True)
    if user is not None:
        tokens = tokens.filter(user=user)
    tokens.update(revoked_at=timezone.now())


def revoke_all(user: User, *, keep_family: str | None = None) -> int:
    """Blacklist every live refresh token of ``user`` (except ``keep_family``)."""
    tokens = RefreshToken.objects.filter(user=user, revoked_at__isnull=True)
    if keep_family:
        tokens = tokens.exclude(family=keep_family)
    return tokens.update(revoked_at=timezone.now())


def live_family(refresh: str, *, user: User) -> str:
    """The family of ``user``'s live (unrevoked, unexpired) refresh token; 401 otherwise."""
    claims = decode(refresh, expected_type=REFRESH)
    family = (
        RefreshToken.objects.filter(jti=claims["jti"], user=user, revoked_at__isnull=True)
        .values_list("family", flat=True)
        .first()
    )
    if family is None:
        raise AuthenticationFailed("Token has been revoked.")
    return family


def is_valid(token: str) -> bool:
    """Whether ``token`` is a live access token or a live, unrevoked refresh token."""
    for kind in (ACCESS, REFRESH):
        try:
            claims = decode(token, expected_type=kind)
        except AuthenticationFailed:
            continue
        if kind == REFRESH:
            return RefreshToken.objects.filter(jti=claims["jti"], revoked_at__isnull=True).exists()
        return User.objects.filter(pk=claims["sub"], is_active=True).exists()
    return False
