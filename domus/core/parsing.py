"""How the API reads request bodies: JSON, and for the few operations that opt in with
``@decorate_view(accepts_form)`` also ``application/x-www-form-urlencoded`` (the login,
as OAuth2 password clients send it). The form's fields are validated by the same body
schema as JSON, unknown fields included."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.parser import Parser

FORM = "application/x-www-form-urlencoded"
_ACCEPTS_FORM = "_domus_accepts_form"


class BodyParser(Parser):
    """Ninja's JSON parser, plus a form body where the operation accepts one."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if getattr(request, _ACCEPTS_FORM, False) and request.content_type == FORM:
            return {key: request.POST[key] for key in request.POST}
        return super().parse_body(request)


def accepts_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let the operation's body schema be sent as a URL-encoded form as well as JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        setattr(request, _ACCEPTS_FORM, True)
        return view(request, *args, **kwargs)

    return wrapper


def form_body(schema_name: str) -> dict[str, Any]:
    """``openapi_extra`` documenting the form alternative of a JSON body schema."""
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    return {"requestBody": {"content": {FORM: {"schema": ref}}}}
