"""Admission of WebSocket connections: the browser origin check and JWT authentication.

``BrowserOriginValidator`` refuses the handshake of a browser (a request with an
``Origin`` header) whose origin is not in ``WEBSOCKET_ALLOWED_ORIGINS``; a client without
``Origin`` (a mobile app, a server, a CLI) is not a browser and is let through to the
token check.

The access token comes from the ``Sec-WebSocket-Protocol`` header, the documented way
(``new WebSocket(url, ["bearer", jwt])``, or the token alone as the only subprotocol):
headers stay out of access logs. The query string (``/ws/?token=<jwt>``) still works for
older clients; its value is redacted from every log Domus configures
(``domus.core.logging``) and from ``deploy/nginx.conf``'s access log.

``scope["user"]`` is the user, or an ``AnonymousUser`` when the token is missing or bad
(the consumer accepts, then closes with 4401), ``scope["auth_error"]`` why
(``token_missing``, ``token_expired``, ``token_invalid``), ``scope["token_exp"]`` the
token's expiry (a UNIX time; the consumer closes the socket then) and
``scope["accepted_subprotocol"]`` the protocol to answer with."""

import time
from typing import Any
from urllib.parse import parse_qs

import jwt
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
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
def _user(token: str) -> tuple[Any, str]:
    """The token's user and ``""``, or an ``AnonymousUser`` and why the token was refused."""
    try:
        return user_from_access_token(token), ""
    except AuthenticationFailed:
        expired = token_expiry(token)
        return AnonymousUser(), "token_expired" if expired is not None and expired < time.time() else "token_invalid"


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
        user, error = await _user(token) if token else (AnonymousUser(), "token_missing")
        exp = token_expiry(token) if getattr(user, "is_authenticated", False) else None
        scope = dict(scope, user=user, auth_error=error, token_exp=exp, accepted_subprotocol=subprotocol)
        return await super().__call__(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Channels' origin check against ``WEBSOCKET_ALLOWED_ORIGINS`` (read per connection),
    where a connection without an ``Origin`` header passes: only browsers send one, and
    only browsers can be made to connect by another site's page."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=())

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        self.allowed_origins = settings.WEBSOCKET_ALLOWED_ORIGINS
        return self.validate_origin(parsed_origin)
