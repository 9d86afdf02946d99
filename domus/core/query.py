"""Unknown query parameters are a 400 naming them, like unknown body fields
(``domus.core.schemas.Input``): ``?colour=red`` on a list that has no ``colour`` filter
is refused, not answered with the unfiltered list. Installed on the whole API with
``api.add_decorator(forbid_unknown_query_parameters, mode="view")``; an operation that
reads another system's query string itself (a provider's webhook) opts out with
``@reads_raw_query``."""

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.operation import Operation

from domus.core.exceptions import ValidationFailed

_RAW_QUERY = "_domus_reads_raw_query"


def reads_raw_query(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an operation whose query string is another system's, read by the view."""
    setattr(view, _RAW_QUERY, True)
    return view


def query_parameters(operation: Operation) -> frozenset[str]:
    """The names of the query parameters ``operation`` declares (filters and paging)."""
    names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ != "query":
            continue
        flattened = getattr(model, "__ninja_flatten_map__", None)
        names |= set(flattened) if flattened else {f.alias or n for n, f in model.model_fields.items()}
    return frozenset(names)


def forbid_unknown_query_parameters(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's ``run`` (Ninja's "view" decorator mode) to refuse a query
    parameter it does not declare."""
    operation: Operation = inspect.unwrap(run).__self__
    if getattr(operation.view_func, _RAW_QUERY, False):
        return run
    allowed = query_parameters(operation)

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            error = ValidationFailed(
                "Unknown query parameter.", errors={name: ["Unknown query parameter."] for name in unknown}
            )
            return operation.api.on_exception(request, error)
        return run(request, *args, **kwargs)

    return checked
