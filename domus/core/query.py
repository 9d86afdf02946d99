"""Unknown query parameters (and unknown fields of a multipart form) are a 400 naming
them, like unknown JSON body fields (``domus.core.schemas.Input``): ``?colour=red`` on a
list that has no ``colour`` filter is refused, not answered with the unfiltered list.
Ninja drops such names before validation, so the check runs before it. Installed on the
whole API with ``api.add_decorator(forbid_unknown_parameters, mode="view")``; an
operation that reads another system's query string itself (a provider's webhook) opts
out with ``@reads_raw_query``."""

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.operation import Operation

from domus.core.exceptions import ValidationFailed

_RAW_QUERY = "_domus_reads_raw_query"
# Where each parameter source of Ninja is read from, and how an unknown name is reported.
_SOURCES: dict[str, tuple[Callable[[HttpRequest], Any], str]] = {
    "query": (lambda request: request.GET, "Unknown query parameter."),
    "form": (lambda request: request.POST, "Unknown field."),
    "file": (lambda request: request.FILES, "Unknown file field."),
}


def reads_raw_query(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an operation whose query string is another system's, read by the view."""
    setattr(view, _RAW_QUERY, True)
    return view


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
    if getattr(operation.view_func, _RAW_QUERY, False):
        declared["query"] = None
    checks = [
        (read, message, names)
        for source, (read, message) in _SOURCES.items()
        if (names := declared[source]) is not None
    ]

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        errors = {name: [message] for read, message, names in checks for name in sorted(set(read(request)) - names)}
        if errors:
            detail = "Unknown query parameter." if set(errors) <= set(request.GET) else "Unknown field."
            return operation.api.on_exception(request, ValidationFailed(detail, errors=errors))
        return run(request, *args, **kwargs)

    return checked
