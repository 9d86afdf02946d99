"""``request.headers`` read from the environ answers what Django's mapping answers."""

import pytest
from django.http.request import HttpHeaders

from domus.core.middleware import EnvironHeaders

ENVIRON = {
    "REQUEST_METHOD": "POST",
    "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": "",
    "HTTP_X_REQUEST_ID": "abc-1",
    "HTTP_USER_AGENT": "wrk",
    "HTTP_ORIGIN": "https://app.example.com",
    "wsgi.url_scheme": "http",
}


@pytest.mark.parametrize(
    "name",
    ["X-Request-ID", "x-request-id", "X_Request_Id", "User-Agent", "origin", "Content-Type", "content_length", "Host"],
)
def test_each_lookup_as_djangos(name):
    django, ours = HttpHeaders(ENVIRON), EnvironHeaders(ENVIRON)
    assert ours.get(name) == django.get(name)
    assert (name in ours) == (name in django)
    if name in django:
        assert ours[name] == django[name]
    else:
        with pytest.raises(KeyError):
            ours[name]


def test_the_whole_mapping_as_djangos():
    django, ours = HttpHeaders(ENVIRON), EnvironHeaders(ENVIRON)
    assert dict(ours) == dict(django)
    assert list(ours) == list(django)
    assert len(ours) == len(django)
    assert ours == django
    assert repr(ours) == repr(django)


def test_an_api_request_reads_its_headers_so(client):
    response = client.get("/api/v1/health/", HTTP_X_REQUEST_ID="req-42")
    assert response["X-Request-ID"] == "req-42"
    assert isinstance(response.wsgi_request.headers, EnvironHeaders)
