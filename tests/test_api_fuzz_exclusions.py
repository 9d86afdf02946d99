"""Each line of tests/api_fuzz/exclusions.txt turns off one real schemathesis check for
one operation that exists, and says why."""

import pytest
import schemathesis.specs.openapi.checks  # noqa: F401 - registers the OpenAPI checks
from schemathesis.checks import CHECKS

from tests.api_fuzz.run import EXCLUSIONS, body_reference_operations, parse_exclusions


def test_every_exclusion_names_an_operation_and_a_check(api_client):
    paths = api_client.get("/api/v1/schema/").json()["paths"]
    checks = set(CHECKS.get_all_names())
    for method, path, check in parse_exclusions(EXCLUSIONS.read_text()):
        assert method.lower() in paths.get(path, {}), f"no operation {method} {path}"
        assert check in checks, f"no schemathesis check {check}"


@pytest.mark.parametrize(
    "line",
    [
        "POST /api/v1/accounts/auth/token/ positive_data_acceptance",
        "POST /api/v1/accounts/auth/token/ positive_data_acceptance  #   ",
        "POST /api/v1/accounts/auth/token/  # a whole operation",
    ],
)
def test_an_exclusion_without_a_reason_or_a_check_is_refused(line):
    with pytest.raises(SystemExit):
        parse_exclusions(line)


def test_comments_and_blank_lines_are_skipped():
    text = "# header\n\nGET /x/ not_a_server_error  # why\n"
    assert parse_exclusions(text) == [("GET", "/x/", "not_a_server_error")]


def test_only_the_stateful_check_is_off_where_a_body_names_other_rows(api_client):
    """A 404 of an update naming an unknown id in its body is not the created row gone:
    ``ensure_resource_availability`` is off for those operations and no others."""
    schema = api_client.get("/api/v1/schema/").json()
    found = set(body_reference_operations(schema))
    assert ("PATCH", "/api/v1/crm/clients/{client_id}/") in found  # assigned_agent_id
    assert ("PATCH", "/api/v1/accounts/profiles/{profile_id}/") not in found  # no ids in its body
    assert all("{" in path and method != "GET" for method, path in found)
    assert "ensure_resource_availability" in CHECKS.get_all_names()
