"""Renders every failure of the API in the one error shape (docs/api.md "Errors"):
``{"detail": "...", "code": "...", "errors": {"field": ["..."]}}``."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError

from domus.core import context
from domus.core.exceptions import AuthenticationFailed, DomusError, ErrorCode, RateLimited
from domus.core.parsing import NUL_DETAIL
from domus.core.schemas import NOT_BLANK, FieldErrors

logger = logging.getLogger("domus.errors")

STATUS_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.AUTHENTICATION_ERROR,
    403: ErrorCode.PERMISSION_ERROR,
    404: ErrorCode.NOT_FOUND_ERROR,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT_ERROR,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMIT_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


class ErrorOut(Schema):
    """The error body of every non-2xx answer."""

    detail: str
    code: str
    errors: dict[str, list[str]] = {}


def error_body(detail: str, code: ErrorCode | str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": str(code), "errors": errors or {}}


def error_response(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    """A plain Django response in the error shape, for code outside Ninja operations."""
    code = STATUS_CODES.get(status, ErrorCode.INTERNAL_ERROR)
    return JsonResponse(error_body(detail, code, errors), status=status)


_UNION_MEMBER_TAGS = frozenset({"date", "datetime", "int", "str", "float", "decimal", "uuid", "bool"})


def _field_key(loc: tuple | list) -> str:
    """``("body", "payload", "email")`` -> ``"email"``; ``("query", "page")`` -> ``"page"``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        source, parts = parts[0], parts[1:]
        if source in {"body", "query"} and len(parts) > 1:
            parts = parts[1:]  # drop the name of the operation's body or query-schema argument
    if len(parts) > 1 and parts[-1] in _UNION_MEMBER_TAGS:
        parts = parts[:-1]  # Pydantic names the union member that failed: created_after.date
    return ".".join(parts) or "non_field_errors"


# Pydantic's wording for an error type, where Domus words it for API clients.
_MESSAGES = {"extra_forbidden": "Unknown field."}


def _worded(error: dict[str, Any]) -> str:
    """Pydantic's message, or Domus' where the pattern is one the client should not read."""
    if error["type"] == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == NOT_BLANK:
        return "This field may not be blank."
    return error["msg"]


def validation_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        message = _MESSAGES.get(error.get("type", ""), str(error.get("msg", "Invalid value.")))
        message = message.removeprefix("Value error, ")
        fields.setdefault(_field_key(error.get("loc", ())), []).append(message)
    return fields


def _install_field_errors(api: NinjaAPI) -> None:
    """Collect the errors of every parameter source of a request (path, query, body) into
    one 400, as Ninja does, except that a model-level check that raised
    :class:`FieldErrors` becomes one error per field it names, located at that field
    (else the API would key it by the view's parameter name, ``payload``)."""

    def validation_error_from_error_contexts(error_contexts: list[ValidationErrorContext]) -> NinjaValidationError:
        errors: list[dict[str, Any]] = []
        for error_context in error_contexts:
            model = error_context.model
            for error in error_context.pydantic_validation_error.errors(include_url=False):
                loc = (
                    model.__ninja_param_source__,
                    *model.__ninja_flatten_map_reverse__.get(error["loc"], error["loc"]),
                )
                raised = (error.get("ctx") or {}).get("error")
                if isinstance(raised, FieldErrors):
                    errors.extend(
                        {"type": "value_error", "loc": (*loc, *field.split(".")), "msg": message}
                        for field, messages in raised.errors.items()
                        for message in messages
                    )
                else:
                    errors.append({"type": error["type"], "loc": loc, "msg": _worded(error)})
        return NinjaValidationError(errors)

    api.validation_error_from_error_contexts = validation_error_from_error_contexts


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers that give every error raised under ``api`` one shape."""
    _install_field_errors(api)

    def render(request: HttpRequest, status: int, detail: str, code: ErrorCode | str, errors=None) -> HttpResponse:
        return api.create_response(request, error_body(detail, code, errors), status=status)

    @api.exception_handler(DomusError)
    def domus_error(request, exc: DomusError):
        response = render(request, exc.status_code, exc.detail, exc.code, exc.errors)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, AuthenticationFailed):
            response["WWW-Authenticate"] = exc.challenge
        return response

    @api.exception_handler(NinjaValidationError)
    def ninja_validation(request, exc: NinjaValidationError):
        return render(request, 400, "Validation failed.", ErrorCode.VALIDATION_ERROR, validation_errors(exc.errors))

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        return render(request, 429, "Too many requests. Try again later.", ErrorCode.RATE_LIMIT_ERROR)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc: AuthenticationError):
        return render(
            request, 401, "Authentication credentials were missing or invalid.", ErrorCode.AUTHENTICATION_ERROR
        )

    @api.exception_handler(AuthorizationError)
    def forbidden(request, exc: AuthorizationError):
        return render(request, 403, "You do not have permission to perform this action.", ErrorCode.PERMISSION_ERROR)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, DomusError):  # refused by domus.core.parsing, wrapped by Ninja
            return domus_error(request, exc.__cause__)
        detail = str(exc)
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = "Malformed request body: expected valid JSON."
        return render(request, exc.status_code, detail, STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL_ERROR))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc: RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The request body is too large: at most {limit:,} bytes (files in a multipart upload aside)."
        return render(request, 413, detail, ErrorCode.PAYLOAD_TOO_LARGE)

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request, exc: MultiPartParserError):
        return render(request, 400, f"Malformed multipart body: {exc}", ErrorCode.VALIDATION_ERROR)

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc: SuspiciousOperation):
        # Too many fields or files, and the like: Django's own limits on what a request may hold.
        logger.warning("suspicious request", extra={"error": str(exc)})
        return render(request, 400, "The request was refused: " + str(exc), ErrorCode.VALIDATION_ERROR)

    @api.exception_handler(Http404)
    def http404(request, exc):
        return render(request, 404, "Not found.", ErrorCode.NOT_FOUND_ERROR)

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request, exc):
        return render(request, 404, "Not found.", ErrorCode.NOT_FOUND_ERROR)

    @api.exception_handler(DjangoPermissionDenied)
    def django_forbidden(request, exc):
        return render(request, 403, "You do not have permission to perform this action.", ErrorCode.PERMISSION_ERROR)

    @api.exception_handler(DjangoValidationError)
    def django_validation(request, exc: DjangoValidationError):
        errors = (
            {key: [str(m) for m in msgs] for key, msgs in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return render(request, 400, "Validation failed.", ErrorCode.VALIDATION_ERROR, errors)

    @api.exception_handler(IntegrityError)
    def integrity(request, exc: IntegrityError):
        logger.warning("integrity error", extra={"error": str(exc)})
        return render(request, 409, "The request conflicts with existing data.", ErrorCode.CONFLICT_ERROR)

    @api.exception_handler(DataError)
    def data_error(request, exc: DataError):
        # A value the database refuses to store or compare (class 22: a NUL character in
        # text, a number out of range): bad input, and its transaction has rolled back.
        logger.warning("data error", extra={"error": str(exc)})
        detail = NUL_DETAIL if "NUL" in str(exc) else "A value of the request cannot be stored."
        return render(request, 400, detail, ErrorCode.VALIDATION_ERROR)

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_down(request, exc: Exception):
        logger.exception("database unavailable")
        return render(request, 503, "The database is unavailable. Try again later.", ErrorCode.SERVICE_UNAVAILABLE)

    @api.exception_handler(Exception)
    def unhandled(request, exc: Exception):
        logger.exception("unhandled error", extra={"path": request.path})
        detail = f"Internal server error. Quote request id {context.current().request_id} when reporting it."
        return render(request, 500, detail, ErrorCode.INTERNAL_ERROR)


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def ensure_error_shape(response: HttpResponse) -> HttpResponse:
    """Turn a non-JSON error answer produced outside Ninja's handlers (Django's 404,
    Ninja's bare 405) into the error shape."""
    if response.status_code < 400 or is_json(response) or getattr(response, "streaming", False):
        return response
    detail = {404: "Not found.", 405: "Method not allowed."}.get(response.status_code, "Request failed.")
    if response.status_code >= 500:
        detail = "Internal server error."
    shaped = error_response(response.status_code, detail)
    for header in ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID"):
        if header in response:
            shaped[header] = response[header]
    return shaped
