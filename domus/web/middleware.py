"""The web pages' middleware, which the API skips.

The API authenticates with bearer tokens and answers in English: sessions, CSRF, the
session's user, messages, htmx and the pages' language would only cost it time (about
60 µs a request), so on ``/api/`` paths each of these middlewares hands the request
straight on (``SkipsApi``). The subclasses keep Django's own checks (the admin needs
sessions, the session's user and messages in ``MIDDLEWARE``) and hooks.

The language of the web pages: the visitor's choice (cookie), else the browser's
(Accept-Language), else English; API answers stay free of ``Vary: Accept-Language``."""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django_htmx.middleware import HtmxMiddleware

from domus.core.routing import API_PREFIX


class SkipsApi:
    """On an API path the request goes straight on; elsewhere the middleware runs."""

    def __call__(self, request: HttpRequest):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class WebSessionMiddleware(SkipsApi, SessionMiddleware):
    pass


class WebLocaleMiddleware(SkipsApi, LocaleMiddleware):
    pass


class WebCsrfViewMiddleware(SkipsApi, CsrfViewMiddleware):
    def process_view(self, request: HttpRequest, callback, callback_args, callback_kwargs) -> HttpResponse | None:
        if request.path_info.startswith(API_PREFIX):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class WebAuthenticationMiddleware(SkipsApi, AuthenticationMiddleware):
    pass


class WebMessageMiddleware(SkipsApi, MessageMiddleware):
    pass


class WebHtmxMiddleware(SkipsApi, HtmxMiddleware):
    pass
