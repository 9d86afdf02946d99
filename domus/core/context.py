"""Per-request context (request id, client address, user agent) readable anywhere,
so services can audit and log without being handed the request."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_EMPTY = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("domus_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def activate(ctx: RequestContext):
    """Make ``ctx`` current; returns the token to pass to :func:`reset`."""
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
