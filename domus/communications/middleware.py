"""JWT authentication of WebSocket connections.

The access token comes from the ``Sec-WebSocket-Protocol`` header, the documented way
(``new WebSocket(url, ["bearer", jwt])``, or the token alone as the only subprotocol):
headers stay out of access logs. The query string (``/ws/?token=<jwt>``) still works for
older clients; its value is redacted from every log Domus configures
(``domus.core.logging``) and from ``deploy/nginx.conf``'s access log.

``scope["user"]`` is the user, or an ``AnonymousUser`` when the token is missing or bad
(the consumer refuses the connection then), ``scope["token_exp"]`` the token's expiry (a
UNIX time; the consumer closes the socket then) and ``scope["accepted_subprotocol"]`` the protocol to answer with."""

from typing import Any
from urllib.parse import parse_qs

import jwt
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from domus.accounts.auth import user_from_access_token
from domus.core.exceptions import AuthenticationFailed

TOKEN_PROTOCOLS = ("bearer", "access_token", "jwt")


def token_from_scope(scope: dict[str, Any]) -> tuple[str, str | None]:
    """``(token, subprotocol to accept)`` of a WebSocket scope (``""`` when none)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for name in ("token", "access_token"):
        if query.get(name):
            return query[name][0], None
    protocols = [p.strip() for p in scope.get("subprotocols") or [] if p.strip()]
    if len(protocols) >= 2 and protocols[0].lower() in TOKEN_PROTOCOLS:
        return protocols[1], protocols[0]
    if len(protocols) == 1 and protocols[0].count(".") == 2:
        return protocols[0], protocols[0]
    return "", None


@database_sync_to_async
def _user(token: str) -> Any:
    try:
        return user_from_access_token(token)
    except AuthenticationFailed:
        return AnonymousUser()


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a token ``user_from_access_token`` has already verified."""
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return float(exp) if isinstance(exp, int | float) else None


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        token, subprotocol = token_from_scope(scope)
        user = await _user(token) if token else AnonymousUser()
        exp = token_expiry(token) if getattr(user, "is_authenticated", False) else None
        scope = dict(scope, user=user, token_exp=exp, accepted_subprotocol=subprotocol)
        return await super().__call__(scope, receive, send)
