"""The OpenAPI schema states the platform's error answers on every operation and links
each create operation to the operations that take the created id (domus.core.openapi)."""

import re
import uuid

import pytest

from domus.core.schemas import NOT_BLANK

ERROR = {"$ref": "#/components/schemas/ErrorOut"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/api/v1/schema/")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _error_schema(operation: dict, status: str) -> dict | None:
    answer = operation["responses"].get(status)
    return answer and answer["content"]["application/json"]["schema"]


def test_every_operation_declares_the_platform_errors(schema):
    missing = []
    for path, method, operation in _operations(schema):
        wanted = ["400", "429", "503"]
        if operation.get("security"):
            wanted += ["401", "403"]
        if "{" in path:
            wanted.append("404")
        if method != "get":
            wanted.append("409")
        if "requestBody" in operation:
            wanted.append("413")
        # An operation may declare a status with its own body (the health check's 503).
        missing += [f"{method.upper()} {path} {status}" for status in wanted if status not in operation["responses"]]
    assert not missing, missing


def test_a_detail_route_declares_404_and_a_write_409(schema):
    detail = schema["paths"]["/api/v1/crm/leads/{lead_id}/"]
    assert _error_schema(detail["get"], "429") == ERROR
    assert _error_schema(detail["get"], "503") == ERROR
    assert _error_schema(detail["get"], "404") == ERROR
    assert _error_schema(detail["patch"], "409") == ERROR
    assert _error_schema(detail["patch"], "413") == ERROR


def test_a_create_operation_links_to_the_operations_on_its_id(schema):
    links = schema["paths"]["/api/v1/crm/leads/"]["post"]["responses"]["201"]["links"]
    detail = schema["paths"]["/api/v1/crm/leads/{lead_id}/"]["get"]["operationId"]
    activities = schema["paths"]["/api/v1/crm/leads/{lead_id}/activities/"]["post"]["operationId"]
    assert links[detail] == {"operationId": detail, "parameters": {"path.lead_id": "$response.body#/id"}}
    assert links[activities]["parameters"] == {"path.lead_id": "$response.body#/id"}


def test_a_nested_create_passes_its_own_path_parameters_through(schema):
    nested = [
        (path, answer["links"])
        for path, item in schema["paths"].items()
        if "{" in path and "post" in item
        for answer in item["post"]["responses"].values()
        if answer.get("links")
    ]
    assert nested, "no nested create operation has links"
    for path, links in nested:
        own = [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]
        for link in links.values():
            for name in own:
                assert link["parameters"][f"path.{name}"] == f"$request.path.{name}", (path, link)


def test_every_link_names_an_existing_operation(schema):
    operation_ids = {operation["operationId"] for _, _, operation in _operations(schema)}
    for _, _, operation in _operations(schema):
        for answer in operation["responses"].values():
            for name, link in answer.get("links", {}).items():
                assert link["operationId"] in operation_ids
                assert name.replace(".", "").replace("-", "").replace("_", "").isalnum()


@pytest.mark.django_db
def test_an_optional_body_is_an_object_or_nothing_never_null(schema, user_client):
    body = schema["paths"]["/api/v1/accounts/auth/logout/"]["post"]["requestBody"]
    assert body["required"] is False
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LogoutIn"}
    offered_null = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if {"type": "null"} in media["schema"].get("anyOf", [])
    ]
    assert not offered_null
    # What the schema no longer offers, the parser refuses: null is not "no body".
    response = user_client.post("/api/v1/accounts/auth/logout/", data="null", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["Expected an object, got null."]}


def test_a_decimal_string_input_has_the_pattern_of_its_field_and_an_answer_the_money_form(schema):
    amount = schema["components"]["schemas"]["OfferIn"]["properties"]["amount"]
    text = next(member for member in amount["anyOf"] if member.get("type") == "string")
    assert re.fullmatch(text["pattern"], "12.50")
    assert not re.fullmatch(text["pattern"], "")
    assert not re.fullmatch(text["pattern"], "-1")
    assert not re.fullmatch(text["pattern"], "0")
    answer = schema["components"]["schemas"]["OfferOut"]["properties"]["amount"]
    assert answer["type"] == "string"
    # An answer is held to the one money form (two decimals), not to the input's bounds.
    assert re.fullmatch(answer["pattern"], "3000.00")
    assert not re.fullmatch(answer["pattern"], "1E+2")


def test_request_text_is_stated_free_of_nul_characters(schema):
    password = schema["components"]["schemas"]["LoginIn"]["properties"]["password"]
    assert not re.fullmatch(password["pattern"], "pass\x00word")
    assert re.fullmatch(password["pattern"], "password")
    search = next(p for p in schema["paths"]["/api/v1/crm/leads/"]["get"]["parameters"] if p["name"] == "search")
    text = next(member for member in search["schema"]["anyOf"] if member.get("type") == "string")
    assert not re.fullmatch(text["pattern"], "a\x00")
    # A saved search's filters are the search's parameters by name: any other key is refused.
    filters = schema["components"]["schemas"]["SavedSearchIn"]["properties"]["filters"]
    assert filters["additionalProperties"] is False
    assert "city" in filters["properties"]


def _nodes(node, where, skip=("example", "examples", "default")):
    """Every schema object under ``node`` (``node`` included), with its place; the keys in
    ``skip`` are not entered."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _nodes(item, f"{where}[{index}]", skip)
        return
    if not isinstance(node, dict):
        return
    yield where, node
    for key, value in node.items():
        if key not in skip:
            yield from _nodes(value, f"{where}.{key}", skip)


def test_no_stated_pattern_lets_a_nul_through(schema):
    # The parser refuses NUL in every text; a pattern like "something not blank" must not
    # let one through where its non-blank character stands (``\S`` matches a NUL).
    probes = ["a\x00", "\x00a", "a\x00a", "\x00"]
    letting_nul_through = [
        where
        for where, node in _nodes(schema, "schema")
        if isinstance(node.get("pattern"), str) and any(re.fullmatch(node["pattern"], probe) for probe in probes)
    ]
    assert letting_nul_through == []


def test_text_that_needs_a_character_needs_one_that_is_not_white_space(schema):
    # The services keep text stripped, so a name of spaces is as empty as "": the schema
    # says so wherever a field needs at least one character. Secrets are taken as sent.
    components = schema["components"]["schemas"]
    assert components["BranchPatchIn"]["properties"]["code"]["pattern"] == NOT_BLANK
    assert components["MessageIn"]["properties"]["body"]["pattern"] == NOT_BLANK
    assert components["LoginIn"]["properties"]["password"]["pattern"] != NOT_BLANK
    secrets = {"password", "old_password", "new_password", "token", "refresh"}
    blank_allowed = [
        f"{name}.{field}"
        for name, component in components.items()
        for field, node in component.get("properties", {}).items()
        if field not in secrets
        for member in [node, *node.get("anyOf", [])]
        if member.get("type") == "string"
        and member.get("minLength", 0) >= 1
        and not {"format", "enum"} & member.keys()
        and re.fullmatch(member.get("pattern", ".*"), " \t")
    ]
    assert blank_allowed == []


def _open_objects(node, where):
    """Every object schema under ``node`` that accepts keys it does not name, with its place."""
    for place, item in _nodes(node, where, skip=("propertyNames", "example", "examples", "default")):
        if item.get("type") == "object" and item.get("additionalProperties") is not False:
            yield place, item


def _names_refuse_nul(names):
    if "enum" in names or "const" in names:
        return True
    return "pattern" in names and not re.fullmatch(names["pattern"], "a\x00")


def test_every_object_open_to_more_keys_states_they_hold_no_nul(schema):
    components = schema["components"]["schemas"]
    # An error may quote what was sent (an unknown field's name), NUL and all.
    places = [
        (where, node)
        for name, component in components.items()
        if name != "ErrorOut"
        for where, node in _open_objects(component, name)
    ]
    assert any(where.startswith("VariantPatchIn.properties.attributes") for where, _node in places)
    open_to_nul = [where for where, node in places if not _names_refuse_nul(node.get("propertyNames", {}))]
    assert open_to_nul == []


def test_an_id_in_the_query_or_body_declares_404_and_an_unknown_one_is_a_404(schema, user_client):
    assert "404" in schema["paths"]["/api/v1/crm/leads/"]["post"]["responses"]  # company_id, listing_id, ...
    assert "404" in schema["paths"]["/api/v1/communications/messages/"]["get"]["responses"]  # before_id
    assert "404" not in schema["paths"]["/api/v1/accounts/auth/register/"]["post"]["responses"]

    response = user_client.get(f"/api/v1/communications/messages/?before_id={uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND_ERROR"
    assert list(response.json()["errors"]) == ["before_id"]


def test_a_decimal_number_input_states_its_places_and_digits(schema):
    amount = schema["components"]["schemas"]["OfferIn"]["properties"]["amount"]
    number = next(member for member in amount["anyOf"] if member.get("type") == "number")
    assert number["multipleOf"] == 0.01
    rate = schema["components"]["schemas"]["AgentProfilePatchIn"]["properties"]["commission_rate"]
    number = next(member for member in rate["anyOf"] if member.get("type") == "number")
    assert number["multipleOf"] == 0.01
    assert number["maximum"] <= 999.99


def test_a_json_number_is_read_to_a_doubles_precision(admin_client):
    # 57 * 0.01 prints as 0.5700000000000001 in most languages: taken as 0.57.
    response = admin_client.post("/api/v1/accounts/users/", data=b'{"email": 1e400}', content_type="application/json")
    assert response.status_code == 400  # not a crash on an infinite float
    from domus.core.parsing import _json_float

    assert _json_float("0.5700000000000001") == 0.57


def test_a_form_body_is_closed_and_offers_no_null(schema):
    login = schema["paths"]["/api/v1/accounts/auth/token/"]["post"]["requestBody"]["content"]
    form = login["application/x-www-form-urlencoded"]["schema"]
    assert form["additionalProperties"] is False
    assert form["properties"]["grant_type"] == {
        "description": "OAuth2 password clients send `password`.",
        "title": "Grant Type",
        "const": "password",
        "type": "string",
    }
    upload = schema["paths"]["/api/v1/properties/{listing_id}/media/"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["additionalProperties"] is False


def test_every_ordering_value_the_schema_states_is_accepted(schema, admin_client):
    """The ordering pattern of each list names the fields its selector orders by."""
    refused = []
    for path, method, operation in _operations(schema):
        ordering = next((p for p in operation.get("parameters", []) if p["name"] == "ordering"), None)
        required = any(p.get("required") for p in operation.get("parameters", []))  # the map's bbox
        if method != "get" or required or ordering is None or "pattern" not in ordering["schema"]:
            continue
        fields = re.search(r"\(\?:([^)]*)\)", ordering["schema"]["pattern"]).group(1).split("|")
        for value in [*fields, ",".join(f"-{field}" for field in fields)]:
            assert re.fullmatch(ordering["schema"]["pattern"], value)
            status = admin_client.get(f"{path}?ordering={value}").status_code
            if status != 200:
                refused.append(f"{path}?ordering={value}: {status}")
    assert not refused, refused
