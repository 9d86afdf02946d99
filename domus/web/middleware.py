"""The language of the web pages: the visitor's choice (cookie), else the browser's
(Accept-Language), else English. API paths are left alone: the API answers in English
and its responses stay free of ``Vary: Accept-Language``."""

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware


class WebLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)
