"""Unknown query parameters, unknown fields of a multipart form and a body sent to an
operation that takes none are a 400 naming them, like unknown JSON body fields
(``domus.core.schemas.Input``): ``?colour=red`` on a list that has no ``colour`` filter
is refused, not answered with the unfiltered list. Ninja drops all of these before
validation, so the check runs before it. Installed on the whole API with
``api.add_decorator(forbid_unknown_parameters, mode="view")``; an operation that reads
another system's request itself (a provider's callback) opts out with
``@reads_raw_request``."""

import inspect
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.operation import Operation

from domus.core.exceptions import ValidationFailed

_RAW_REQUEST = "_domus_reads_raw_request"
_BODY_SOURCES = frozenset({"body", "form", "file"})
_EMPTY_BODIES = frozenset({"", "{}", "null"})
_FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
# Where each parameter source of Ninja is read from, and how an unknown name is reported.
_SOURCES: dict[str, tuple[Callable[[HttpRequest], Any], str]] = {
    "query": (lambda request: request.GET, "Unknown query parameter."),
    "form": (lambda request: request.POST, "Unknown field."),
    "file": (lambda request: request.FILES, "Unknown file field."),
}


def reads_raw_request(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an operation whose query string and body are another system's (a provider's
    callback), read by the view itself: they are not checked here."""
    setattr(view, _RAW_REQUEST, True)
    return view


def _unexpected_body(request: HttpRequest) -> dict[str, list[str]]:
    """The errors of a body sent to an operation that takes none (``{}`` or an empty
    form is no body)."""
    if request.content_type in _FORMS:
        return {name: ["Unknown field."] for name in sorted({*request.POST, *request.FILES})}
    raw = request.body.decode(errors="replace").strip()
    if raw in _EMPTY_BODIES:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return {name: ["Unknown field."] for name in sorted(data)}
    return {"non_field_errors": ["This operation takes no request body."]}


def declared_parameters(operation: Operation, source: str) -> frozenset[str] | None:
    """The names ``operation`` declares in ``source`` ("query", "form", "file"); ``None``
    when it takes nothing from there as a schema (a JSON body operation's form is its body)."""
    names: set[str] = set()
    found = False
    for model in operation.models:
        if model.__ninja_param_source__ != source:
            continue
        found = True
        flattened = getattr(model, "__ninja_flatten_map__", None)
        names |= set(flattened) if flattened else {f.alias or n for n, f in model.model_fields.items()}
    return frozenset(names) if found or source == "query" else None


def forbid_unknown_parameters(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's ``run`` (Ninja's "view" decorator mode) to refuse a query
    parameter, form field or file it does not declare."""
    operation: Operation = inspect.unwrap(run).__self__
    declared = {source: declared_parameters(operation, source) for source in _SOURCES}
    if declared["form"] is None and declared["file"] is not None:
        declared["form"] = frozenset()  # an upload of files alone: its form has no other fields
    raw = getattr(operation.view_func, _RAW_REQUEST, False)
    if raw:
        declared["query"] = None
    takes_no_body = not raw and not any(m.__ninja_param_source__ in _BODY_SOURCES for m in operation.models)
    checks = [
        (read, message, names)
        for source, (read, message) in _SOURCES.items()
        if (names := declared[source]) is not None
    ]

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:  # reading the form parses the body: a broken one is answered by the API's handlers
            errors = {
                name.replace("\x00", "\\x00"): [message]  # a NUL is never echoed back (domus.core.parsing)
                for read, message, names in checks
                for name in sorted(set(read(request)) - names)
            }
            if takes_no_body and request.method not in ("GET", "HEAD", "OPTIONS"):
                errors.update(_unexpected_body(request))
        except Exception as exc:
            return operation.api.on_exception(request, exc)
        if errors:
            detail = "Unknown query parameter." if set(errors) <= set(request.GET) else "Unknown field."
            return operation.api.on_exception(request, ValidationFailed(detail, errors=errors))
        return run(request, *args, **kwargs)

    return checked
