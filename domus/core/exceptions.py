"""The one exception tree of Domus. Each error knows its code and HTTP status; the
API renders every one of them as ``{"detail", "code", "errors"}`` (docs/api.md "Errors")."""

from collections.abc import Iterable
from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    PERMISSION_ERROR = "PERMISSION_ERROR"
    NOT_FOUND_ERROR = "NOT_FOUND_ERROR"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT_ERROR = "CONFLICT_ERROR"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMIT_ERROR = "RATE_LIMIT_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class DomusError(Exception):
    """Base of every error a service may raise on purpose."""

    status_code: int = 400
    code: ErrorCode = ErrorCode.VALIDATION_ERROR
    default_detail: str = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, errors: dict[str, list[str]] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.errors = errors or {}
        super().__init__(self.detail)


class ValidationFailed(DomusError):
    status_code = 400
    code = ErrorCode.VALIDATION_ERROR
    default_detail = "Validation failed."


class AuthenticationFailed(DomusError):
    status_code = 401
    code = ErrorCode.AUTHENTICATION_ERROR
    default_detail = "Authentication credentials were missing or invalid."
    # The WWW-Authenticate challenge of the 401 (RFC 6750): a bare one when no bearer
    # token was to blame (none sent, a wrong password), with an error code otherwise.
    challenge: str = "Bearer"


class InvalidToken(AuthenticationFailed):
    """The bearer token sent is expired, revoked, badly signed or names no active user."""

    default_detail = "The access token is invalid or expired."
    challenge = 'Bearer error="invalid_token"'


class MalformedAuthorization(AuthenticationFailed):
    """An ``Authorization`` header that is not ``Bearer <token>``."""

    default_detail = "Malformed Authorization header: expected 'Bearer <access token>'."
    challenge = 'Bearer error="invalid_request"'


class PermissionDenied(DomusError):
    status_code = 403
    code = ErrorCode.PERMISSION_ERROR
    default_detail = "You do not have permission to perform this action."


class NotFound(DomusError):
    status_code = 404
    code = ErrorCode.NOT_FOUND_ERROR
    default_detail = "Not found."


class UnknownReference(NotFound):
    """An id in the query or the body that names no row the caller may use there: a 404
    like an unknown id in the path, wherever the id is given, with ``errors`` naming the
    field (docs/api.md "Errors")."""


class Conflict(DomusError):
    status_code = 409
    code = ErrorCode.CONFLICT_ERROR
    default_detail = "The request conflicts with the current state of the resource."


class PayloadTooLarge(DomusError):
    status_code = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_detail = "The request body is too large."


class RateLimited(DomusError):
    status_code = 429
    code = ErrorCode.RATE_LIMIT_ERROR
    default_detail = "Too many requests. Try again later."

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        self.retry_after = retry_after
        super().__init__(detail)


class ServiceUnavailable(DomusError):
    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE
    default_detail = "A service this request needs is unavailable. Try again later."


def reject_unknown_fields(fields: Iterable[str], allowed: frozenset[str], what: str) -> None:
    """Refuse (400, one error per field) any of ``fields`` a service does not write."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationFailed(
            f"Unknown {what} fields.", errors={name: [f"Not a writable {what} field."] for name in unknown}
        )
