"""Ninja authentication: ``Authorization: Bearer <access token>``. This module is the
accounts app's public interface for other apps and for ``domus.api``."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security import HttpBearer

from domus.accounts.models import User
from domus.accounts.tokens import decode_access
from domus.core.compiled import PkQuery
from domus.core.exceptions import AuthenticationFailed, InvalidToken, MalformedAuthorization
from domus.organizations.selectors import remember_roles_read, roles_with_user

# Every authenticated request runs it: compiled to SQL once (``domus.core.compiled``).
# The caller's company roles come with it: most requests ask for them.
_ACTIVE_USER = PkQuery(
    lambda pk: User.objects.select_related("profile").filter(pk=pk, is_active=True).annotate(**roles_with_user())
)


def user_from_access_token(token: str) -> User:
    """The active user an access token belongs to, with its profile (one query: ``me``
    and the answers that show the caller need no second one); 401 otherwise. The query
    reads the user's company roles too, which an API request keeps (``JWTAuth``)."""
    claims = decode_access(token)
    found = _ACTIVE_USER.objects(claims["sub"])
    if not found:
        raise AuthenticationFailed("User not found or inactive.")
    return found[0]


class JWTAuth(HttpBearer):
    """No ``Authorization`` header: no credentials (the next callback, or a 401). A header
    that is not ``Bearer <token>`` or a bad token: a 401 with its WWW-Authenticate error,
    also on operations that admit anonymous callers."""

    def __call__(self, request: HttpRequest) -> User | None:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != self.openapi_scheme or not token or " " in token:
            raise MalformedAuthorization()
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        try:
            user = user_from_access_token(token)
        except AuthenticationFailed as exc:
            raise InvalidToken(exc.detail) from exc
        # The permission checks of this request answer from the roles read with the user.
        # Only a request's: a WebSocket's user lives as long as its connection, and reads
        # its roles each time, so a membership changed elsewhere counts at once.
        remember_roles_read(user)
        request.user = user
        return user


def anonymous(request: HttpRequest) -> AnonymousUser:
    """Fallback of public operations: no token means an anonymous caller (a bad token
    is still a 401)."""
    return AnonymousUser()


# For operations anyone may call, which answer more to a signed-in user.
optional_auth = [JWTAuth(), anonymous]
