"""How the API reads a request.

- A JSON body must be an object, and no text of a request (a JSON body, form fields,
  the query string) may hold a NUL (0x00) character. PostgreSQL cannot store NUL in text
  while SQLite would; refusing it here, for every operation and on either database,
  keeps data movable between the two.
- The few operations that opt in with ``@decorate_view(accepts_form)`` also take an
  ``application/x-www-form-urlencoded`` body (the login, as OAuth2 password clients send
  it). The form's fields are validated by the same body schema as JSON, unknown fields
  included.
- A JSON number with a fraction is read to the 15 significant digits a double holds:
  ``0.5700000000000001`` (how a client's ``57 * 0.01`` prints) is ``0.57``, so an amount
  the schema states as a multiple of 0.01 is taken as one.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from domus.core.exceptions import ValidationFailed

NUL = "\x00"
NUL_DETAIL = "Text may not contain NUL (0x00) characters."
FORM = "application/x-www-form-urlencoded"
_ACCEPTS_FORM = "_domus_accepts_form"


def _json_float(text: str) -> float:
    return float(f"{float(text):.15g}")


_JSON_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """The dotted paths of every string (or object key) in ``value`` holding a NUL."""
    if isinstance(value, str):
        return [path or "non_field_errors"] if NUL in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                found.append(child)
            found.extend(_nul_paths(item, child))
        return found
    if isinstance(value, (list, tuple)):
        return [
            p for index, item in enumerate(value) for p in _nul_paths(item, f"{path}.{index}" if path else str(index))
        ]
    return []


def reject_nul(data: Any) -> None:
    """400 naming each field whose text holds a NUL character."""
    paths = _nul_paths(data)
    if paths:
        raise ValidationFailed(NUL_DETAIL, errors={p.replace(NUL, "\\x00"): [NUL_DETAIL] for p in paths})


class DomusParser(Parser):
    """Ninja's JSON parser, plus the rules above. A refusal raised from ``parse_body``
    reaches the client through Ninja's "cannot parse" error (``domus.core.errors``)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if getattr(request, _ACCEPTS_FORM, False) and request.content_type == FORM:
            data: Any = {key: request.POST[key] for key in request.POST}
        else:
            data = json.loads(request.body, parse_float=_json_float)
        if not isinstance(data, dict):
            kind = "null" if data is None else _JSON_KINDS.get(type(data), type(data).__name__)
            raise ValidationFailed(
                "The request body must be a JSON object.", errors={"body": [f"Expected an object, got {kind}."]}
            )
        reject_nul(data)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        reject_nul(result)
        return result


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
