import json
import logging

import pytest

from domus.core import context
from domus.core.logging import RequestContextFilter


@pytest.mark.django_db
def test_request_id_is_echoed(api_client):
    response = api_client.get("/api/v1/nope/", headers={"X-Request-ID": "abc-123"})
    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.django_db
def test_request_id_is_generated_when_absent_or_malformed(api_client):
    generated = api_client.get("/api/v1/nope/")["X-Request-ID"]
    assert len(generated) == 32
    replaced = api_client.get("/api/v1/nope/", headers={"X-Request-ID": "bad id with spaces\n"})["X-Request-ID"]
    assert replaced != "bad id with spaces\n"
    assert len(replaced) == 32


def test_logs_are_json_with_the_request_id():
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, RequestContextFilter) for f in h.filters)
    )
    record = logging.LogRecord("domus.test", logging.WARNING, __file__, 1, "payment %s failed", ("p-1",), None)
    token = context.activate(context.RequestContext(request_id="log-me-42"))
    try:
        assert handler.filter(record)
    finally:
        context.reset(token)
    line = json.loads(handler.format(record))  # one JSON object a line
    assert line["request_id"] == "log-me-42"
    assert line["message"] == "payment p-1 failed"
    assert line["level"] == "WARNING"
