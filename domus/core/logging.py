"""Logging helpers: every record carries the current request id, and no record carries
a credential passed in a query string."""

import logging
import re
from typing import Any

from domus.core import context

# The value of any query parameter whose name ends in "token" (``?token=<jwt>`` of a
# WebSocket, ``access_token``, a provider callback's shared ``?token=``).
_TOKEN_PARAM = re.compile(r"([?&][\w.-]*token=)[^&#\s\"'>]*", re.IGNORECASE)
REDACTED = "[redacted]"


def redact_tokens(text: str) -> str:
    """``text`` with every ``token=`` query value replaced by ``[redacted]``."""
    return _TOKEN_PARAM.sub(rf"\1{REDACTED}", text) if "token=" in text.lower() else text


def _redact(value: Any) -> Any:
    return redact_tokens(value) if isinstance(value, str) else value


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a request's outcome after the middleware chain has returned, so
        # fall back to the id kept on the request itself.
        request = getattr(record, "request", None)
        record.request_id = context.current().request_id or getattr(request, "request_id", None)
        return True


class RedactTokensFilter(logging.Filter):
    """Redacts ``token=`` query values in a record's message and arguments (uvicorn's
    access and WebSocket lines put the full path with its query string there) and in
    the request it names (Django's ``<WSGIRequest: GET '/path?...'>``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(arg) for key, arg in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            shown = repr(request)
            if redact_tokens(shown) != shown:
                record.request = redact_tokens(shown)
        return True


# Servers' own loggers that print request paths with their query strings. uvicorn's
# WebSocket handshakes ('"WebSocket /ws/?token=..." [accepted]') go to uvicorn.error,
# whatever --no-access-log says.
SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access", "granian.access", "django.channels.server", "daphne")


def redact_server_logs() -> None:
    """Redact query-string tokens on the servers' loggers where their records are made,
    leaving the servers' own handlers and formats (and ``--no-access-log``) alone."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokensFilter) for f in logger.filters):
            logger.addFilter(RedactTokensFilter())
