"""Every date filter of the API (found in the OpenAPI schema, so a new one is covered
too) takes a bare date and an ISO 8601 date-time alike, and refuses anything else with
a 400 naming the parameter."""

import re
from uuid import UUID

import pytest

from domus.api import api

DATE_FILTER = re.compile(r"(_date|_after|_before)$|^(before|after|start|end|since|until)$")


def _dummy(parameter: dict) -> str:
    text = str(parameter.get("schema"))
    if "uuid" in text:
        return str(UUID(int=1))  # fixed, so parallel runs (-n 2) collect the same test ids
    if "date" in text:
        return "2025-01-01"
    return "1"


def _date_filters() -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        parameters = operation.get("parameters", [])
        url = path
        for parameter in parameters:
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", _dummy(parameter))
        for parameter in parameters:
            if parameter["in"] == "query" and DATE_FILTER.search(parameter["name"]):
                required = {
                    p["name"]: _dummy(p)
                    for p in parameters
                    if p["in"] == "query" and p.get("required") and p["name"] != parameter["name"]
                }
                found.append((url, parameter["name"], required))
    return found


DATE_FILTERS = _date_filters()


def test_the_schema_has_the_known_date_filters():
    names = {(url.split("/")[3], name) for url, name, _ in DATE_FILTERS}
    known = {("analytics", "start_date"), ("audit", "end_date"), ("crm", "start_date"), ("finance", "start")}
    known |= {("properties", "starts_after"), ("communications", "before")}
    assert known <= names


@pytest.mark.parametrize(("url", "name", "required"), DATE_FILTERS, ids=[f"{u} {n}" for u, n, _ in DATE_FILTERS])
def test_every_date_filter_takes_a_date_and_a_date_time(admin_client, settings, url, name, required):
    settings.RATE_LIMITS_ENABLED = False
    for value in ("2025-01-31", "2025-01-31T10:00:00Z", "2025-01-31T10:00:00+03:00", "2025-01-31T10:00:00"):
        response = admin_client.get(url, {**required, name: value})
        refused = response.status_code == 400 and name in response.json()["errors"]
        assert not refused, (value, response.content)

    response = admin_client.get(url, {**required, name: "31/01/2025"})

    assert response.status_code == 400
    assert name in response.json()["errors"]
