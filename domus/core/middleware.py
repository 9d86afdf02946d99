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
from django.http.request import HttpHeaders
from django.http.response import HttpResponseBase
from django.views import defaults

from domus.core import context
from domus.core.errors import ensure_error_shape, is_json
from domus.core.exceptions import AuthenticationFailed
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


class EnvironHeaders(HttpHeaders):
    """``request.headers`` answering each lookup from the environ (``X-Request-ID`` is
    ``HTTP_X_REQUEST_ID``), as Django's does from the mapping it builds of every header:
    a request reads a few headers, and building that mapping was most of the request
    context's CPU. The mapping is built the first time it is iterated, counted or printed."""

    def __init__(self, environ: dict) -> None:
        self._environ = environ

    def __getitem__(self, key: str) -> str:
        return self._environ[self.to_wsgi_name(key)]

    def __getattr__(self, name: str) -> dict:
        if name != "_store":
            raise AttributeError(name)
        HttpHeaders.__init__(self, self._environ)
        return self._store


class RequestContextMiddleware:
    """Accepts a well-formed ``X-Request-ID`` or makes one, echoes it, and makes the
    request context (id, IP, user agent) current for logs and the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "headers" not in request.__dict__:
            request.headers = EnvironHeaders(request.META)
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
        if _authenticated(request) and "no-store" not in response.get("Cache-Control", ""):
            # An answer for one caller (their drafts, invoices, messages) is never kept
            # by a browser or a shared cache; anonymous answers (listing search) may be.
            response["Cache-Control"] = "private, no-store"
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
