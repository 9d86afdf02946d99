"""The response envelope of the real-estate management system (``rems``), for clients
that ask for it with ``X-Response-Envelope: rems`` (docs/api.md "Response envelope").

Without the header every answer stays Domus' own (the resource, or the error shape
``{detail, code, errors}``). With it, a JSON answer of the API is wrapped:

- success: ``{"status": "success", "data": <the answer>, "message": "<reason phrase>"}``
- error: ``{"status": "error", "error": {"code", "message", "details"}}`` from
  ``code``, ``detail`` and ``errors``.

The status code, headers, non-JSON answers (files, ``204``, ``HEAD``) and the OpenAPI
schemas are unchanged.
"""

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from domus.core.errors import error_response, is_json
from domus.core.routing import API_PREFIX, CANONICAL_PREFIX

HEADER = "X-Response-Envelope"
ENVELOPES = ("rems",)
# The OpenAPI documents are read by tools, never wrapped (canonical paths).
UNWRAPPED = (f"{CANONICAL_PREFIX}schema/", f"{CANONICAL_PREFIX}compat/")


def wrap_success(data: Any, message: str) -> dict[str, Any]:
    return {"status": "success", "data": data, "message": message}


def wrap_error(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "error",
        "error": {
            "code": body.get("code", ""),
            "message": body.get("detail", ""),
            "details": body.get("errors") or {},
        },
    }


class ResponseEnvelopeMiddleware:
    """Wraps the API's JSON answers in the envelope the request's ``X-Response-Envelope``
    header names; an envelope Domus does not know is a 400 naming the header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        wanted = request.headers.get(HEADER)
        if wanted is None:
            response = self.get_response(request)
        elif wanted.strip().lower() not in ENVELOPES:
            response = error_response(
                400,
                f"Unknown response envelope {wanted!r}.",
                {HEADER: [f"One of: {', '.join(ENVELOPES)} (or no header for Domus' own answers)."]},
            )
        else:
            response = self.get_response(request)
            if not request.path_info.startswith(UNWRAPPED):  # canonical by now (ApiPathMiddleware)
                response = _wrapped(response)
        patch_vary_headers(response, (HEADER,))
        return response


def _wrapped(response: HttpResponse) -> HttpResponse:
    if getattr(response, "streaming", False) or not is_json(response) or not response.content:
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if response.status_code >= 400 and isinstance(body, dict) and "detail" in body and "code" in body:
        wrapped = wrap_error(body)
    else:
        wrapped = wrap_success(body, response.reason_phrase)
    response.content = json.dumps(wrapped, separators=(",", ":")).encode()
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response
