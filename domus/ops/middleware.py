"""Counts and times every HTTP answer for ``domus.ops.metrics`` (put it first, so its
time covers the whole stack)."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from domus.ops import metrics


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path != "/metrics":
            metrics.observe_request(
                method=request.method or "",
                route=metrics.route_label(request),
                status=response.status_code,
                seconds=time.perf_counter() - started,
            )
        return response
