"""Request-level plumbing: request ids and context, API path normalisation, error
shape for answers Django produces itself, rate-limit headers, ``no-store`` on
authenticated answers, and DEBUG pages kept to callers on this machine."""

import ipaddress
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults

from domus.core import context
from domus.core.errors import ensure_error_shape, is_json
from domus.core.ids import uuid7
from domus.core.routing import API_PREFIX, canonical_path

logger = logging.getLogger("domus.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address (the first ``X-Forwarded-For`` hop when behind a proxy)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded and settings.SECURE_PROXY_SSL_HEADER:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Accepts a well-formed ``X-Request-ID`` or makes one, echoes it, and makes the
    request context (id, IP, user agent) current for logs and the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid7().hex
        request.request_id = request_id
        token = context.activate(
            context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:512],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ApiPathMiddleware:
    """Serves every API path at its canonical ``/api/v1/.../`` form, shapes errors that
    Django answers itself, and adds ``X-RateLimit-*`` headers set by the throttles."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        request.path_info = canonical_path(request.path_info)
        response = ensure_error_shape(self.get_response(request))
        if _authenticated(request) and "no-store" not in response.get("Cache-Control", ""):
            # An answer for one caller (their drafts, invoices, messages) is never kept
            # by a browser or a shared cache; anonymous answers (listing search) may be.
            response["Cache-Control"] = "private, no-store"
        limit = getattr(request, "rate_limit", None)
        if limit is not None:
            response["X-RateLimit-Limit"] = str(limit.limit)
            response["X-RateLimit-Remaining"] = str(limit.remaining)
            response["X-RateLimit-Reset"] = str(limit.reset)
        return response


def _authenticated(request: HttpRequest) -> bool:
    """Credentials were sent, or an operation authenticated a user (anonymous callers of
    public operations carry an ``AnonymousUser``)."""
    auth = getattr(request, "auth", None)
    return "HTTP_AUTHORIZATION" in request.META or bool(getattr(auth, "is_authenticated", False))


def is_local_caller(request: HttpRequest) -> bool:
    """The request comes from this machine itself: a loopback address and no proxy hop
    (a proxy on the same host forwards other people's requests from 127.0.0.1)."""
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


class LocalDebugPagesMiddleware:
    """With ``DEBUG`` on, Django answers a 404 with the URL patterns and a crash (or a
    suspicious request) with the traceback and settings. Those pages are for the
    developer at the machine: any other caller gets the production page instead, so
    an embedded default started on ``0.0.0.0`` shows nobody its internals."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or response.status_code not in _PRODUCTION_PAGES or is_json(response):
            return response
        if is_local_caller(request):
            return response
        return _PRODUCTION_PAGES[response.status_code](request)


_PRODUCTION_PAGES: dict[int, Callable[[HttpRequest], HttpResponse]] = {
    400: lambda request: defaults.bad_request(request, BadRequest()),
    404: lambda request: defaults.page_not_found(request, Http404()),
    500: defaults.server_error,
}
