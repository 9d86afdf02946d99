"""The web pages' middleware, which the API skips in one step.

The API authenticates with bearer tokens and answers in English: sessions, CSRF, the
session's user, messages, htmx and the pages' language would only cost it time. So
these run as one stack of their own (``settings.WEB_MIDDLEWARE``, in Django's usual
order), behind ``WebPagesMiddleware`` in ``MIDDLEWARE``: an ``/api/`` request goes
straight past the whole stack, where one layer per middleware, each handing it on,
cost about 10 µs a request. The stack is built as Django builds ``MIDDLEWARE`` (each
middleware wrapped so that an exception becomes an answer there), and its ``process_view``
hooks (CSRF's) run in their order for the pages.

``domus/web/checks.py`` stands in for the checks that look for these middlewares in
``MIDDLEWARE`` by name (the admin's sessions, session user and messages; the deploy
check's CSRF)."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from domus.core.routing import API_PREFIX

GetResponse = Callable[[HttpRequest], HttpResponse]
ViewHook = Callable[..., HttpResponse | None]


class WebPagesMiddleware:
    """Runs ``settings.WEB_MIDDLEWARE`` for every request but the API's."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.pages, self.view_hooks = _stack(settings.WEB_MIDDLEWARE, get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return self.pages(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.path_info.startswith(API_PREFIX):
            return None
        for hook in self.view_hooks:
            response = hook(request, view_func, view_args, view_kwargs)
            if response is not None:
                return response
        return None


def _stack(paths: list[str], get_response: GetResponse) -> tuple[GetResponse, list[ViewHook]]:
    """The middlewares of ``paths`` around ``get_response``, first outermost, and their
    ``process_view`` hooks in that order."""
    handler: GetResponse = get_response
    view_hooks: list[ViewHook] = []
    for path in reversed(paths):
        middleware = import_string(path)(handler)
        if hasattr(middleware, "process_exception") or hasattr(middleware, "process_template_response"):
            raise ImproperlyConfigured(f"{path}: the web pages' stack runs process_view hooks only.")
        if hasattr(middleware, "process_view"):
            view_hooks.insert(0, middleware.process_view)
        handler = convert_exception_to_response(middleware)
    return handler, view_hooks
