"""What the compatibility-route tests share: the four path forms and the check that a response
came from a route (never a routing 404, a 405 or a 500)."""

FORMS = ["/api/v1/{}/", "/api/v1/{}", "/api/{}/", "/api/{}"]


def call(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, data="{}", content_type="application/json")


def assert_routed(response, method: str, url: str) -> None:
    assert response.status_code not in (405, 500), (method, url, response.status_code, response.content[:200])
    if response.status_code == 404:
        assert not response.json()["detail"].startswith("No API route"), (method, url)
