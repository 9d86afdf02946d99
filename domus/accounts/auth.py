"""Ninja authentication: ``Authorization: Bearer <access token>``. This module is the
accounts app's public interface for other apps and for ``domus.api``."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security import HttpBearer

from domus.accounts.models import User
from domus.accounts.tokens import ACCESS, decode
from domus.core.exceptions import AuthenticationFailed


def user_from_access_token(token: str) -> User:
    """The active user an access token belongs to; 401 otherwise."""
    claims = decode(token, expected_type=ACCESS)
    user = User.objects.filter(pk=claims["sub"], is_active=True).first()
    if user is None:
        raise AuthenticationFailed("User not found or inactive.")
    return user


class JWTAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_from_access_token(token)
        request.user = user
        return user


def anonymous(request: HttpRequest) -> AnonymousUser:
    """Fallback of public operations: no token means an anonymous caller (a bad token
    is still a 401)."""
    return AnonymousUser()


# For operations anyone may call, which answer more to a signed-in user.
optional_auth = [JWTAuth(), anonymous]
