"""Request-level plumbing: request ids and context, API path normalisation, error
shape for answers Django produces itself, and rate-limit headers."""

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from domus.core import context
from domus.core.errors import ensure_error_shape
from domus.core.exceptions import AuthenticationFailed
from domus.core.ids import uuid7
from domus.core.routing import API_PREFIX, canonical_path

logger = logging.getLogger("domus.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address (the first ``X-Forwarded-For`` hop when behind a proxy)."""
    from django.conf import settings

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
    """Serves every API path at its canonical ``/api/v1/.../`` form, answers ``HEAD`` as
    ``GET`` without the body and ``OPTIONS`` with ``Allow``, shapes errors that Django
    answers itself, and adds ``X-RateLimit-*`` headers set by the throttles.

    No operation declares ``OPTIONS``: the operations of the path refuse it with a 405
    that lists their methods, which becomes the ``204`` answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        request.path_info = canonical_path(request.path_info)
        method = request.method
        if method == "HEAD":
            request.method = "GET"  # HEAD is GET without the body (RFC 9110 9.3.2)
        try:
            response = ensure_error_shape(self._allow_methods(method, self.get_response(request)))
        finally:
            request.method = method
        if response.status_code == 401 and not response.has_header("WWW-Authenticate"):
            response["WWW-Authenticate"] = AuthenticationFailed.challenge  # RFC 9110: a 401 names its scheme
        limit = getattr(request, "rate_limit", None)
        if limit is not None:
            response["X-RateLimit-Limit"] = str(limit.limit)
            response["X-RateLimit-Remaining"] = str(limit.remaining)
            response["X-RateLimit-Reset"] = str(limit.reset)
        if method == "HEAD":
            _drop_body(response)
        return response

    @staticmethod
    def _allow_methods(method: str, response: HttpResponseBase) -> HttpResponseBase:
        """A 405's ``Allow`` with ``HEAD`` and ``OPTIONS``; for ``OPTIONS``, ``204`` and
        ``Allow`` instead of the 405 (or of the page of a plain view)."""
        if response.status_code == 405:
            response["Allow"] = _allow(response.get("Allow", ""))
            if method == "OPTIONS":  # the path exists: say what it answers to
                return HttpResponse(status=204, headers={"Allow": response["Allow"]})
        elif method == "OPTIONS" and response.status_code < 400:
            # A plain view that ignores the method: the schema and the docs pages, GET only.
            return HttpResponse(status=204, headers={"Allow": _allow("GET")})
        return response


def _allow(allow: str) -> str:
    """An ``Allow`` header with ``HEAD`` beside ``GET``, and ``OPTIONS``."""
    methods = [method.strip() for method in allow.split(",") if method.strip()]
    if "GET" in methods:
        methods.append("HEAD")
    methods.append("OPTIONS")
    order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    return ", ".join(sorted(set(methods), key=lambda m: (order.index(m) if m in order else len(order), m)))


def _drop_body(response: HttpResponseBase) -> None:
    """Empty the answer to a HEAD; ``Content-Length`` (set by ``CommonMiddleware``, which
    runs first) keeps the length of the GET answer, and a stream is never read."""
    if getattr(response, "streaming", False):
        response.streaming_content = iter(())  # a FileResponse's file is still closed with the response
    else:
        response.content = b""
