"""Logging helpers: every record carries the current request id."""

import logging

from domus.core import context


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a request's outcome after the middleware chain has returned, so
        # fall back to the id kept on the request itself.
        request = getattr(record, "request", None)
        record.request_id = context.current().request_id or getattr(request, "request_id", None)
        return True
