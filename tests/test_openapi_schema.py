"""The OpenAPI schema tells the truth: one operationId per operation, ``security`` as the
operations really authenticate, one model per component name, no orphan components,
typed answers, file downloads with their media types, examples, and the app's version."""

import enum
import typing
from collections import Counter
from importlib.metadata import version
from typing import Any

import pytest
from ninja.openapi.schema import REF_TEMPLATE
from ninja.operation import Operation
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import BaseModel, TypeAdapter

from domus.api import api
from domus.api_examples import API_EXAMPLES
from domus.core.openapi import REF_PREFIX, referenced_components

JWT_ONLY = [{"JWTAuth": []}]
SAMPLE_UUID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/v1/")


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, details) for path, item in schema["paths"].items() for method, details in item.items()]


def ninja_operations() -> list[Operation]:
    return [
        operation
        for bound in api._get_bound_routers()
        for path_view in bound.path_operations.values()
        for operation in path_view.operations
    ]


def test_every_operation_id_is_unique(schema):
    counts = Counter(details["operationId"] for _, _, details in operations(schema))

    assert [name for name, count in counts.items() if count > 1] == []
    # The four PUT/PATCH pairs served by one function each keep both methods.
    invoice = schema["paths"]["/api/v1/finance/invoices/{invoice_id}/"]
    assert invoice["put"]["operationId"] == "domus_finance_api_invoice_update_put"
    assert invoice["patch"]["operationId"] == "domus_finance_api_invoice_update_patch"


def test_security_states_public_optional_and_jwt_operations(schema):
    security = {(method, path): details["security"] for method, path, details in operations(schema)}

    assert security["post", "/api/v1/accounts/auth/token/"] == []
    assert security["post", "/api/v1/finance/payments/mpesa/callback/"] == []
    assert security["get", "/api/v1/ops/health/"] == []
    assert security["get", "/api/v1/properties/"] == [*JWT_ONLY, {}]
    assert security["get", "/api/v1/properties/{listing_id}/media/"] == [*JWT_ONLY, {}]
    assert security["get", "/api/v1/organizations/branches/"] == [*JWT_ONLY, {}]
    assert security["post", "/api/v1/crm/contact/"] == [*JWT_ONLY, {}]
    assert security["post", "/api/v1/properties/"] == JWT_ONLY
    assert security["post", "/api/v1/communications/callbacks/{provider}/"] == [{"QueryToken": []}]
    assert schema["components"]["securitySchemes"] == {
        "JWTAuth": {"type": "http", "scheme": "bearer"},
        "QueryToken": {"type": "apiKey", "in": "query", "name": "token"},
    }


def _url(path: str, details: dict[str, Any]) -> str:
    for parameter in details.get("parameters", []):
        if parameter["in"] != "path":
            continue
        kind = parameter["schema"].get("format") or parameter["schema"].get("type")
        value = {"uuid": SAMPLE_UUID, "integer": "1"}.get(kind, "sample")
        path = path.replace("{" + parameter["name"] + "}", value)
    return path


@pytest.mark.django_db
def test_an_anonymous_call_is_401_exactly_where_the_schema_requires_credentials(schema, api_client):
    wrong = []
    for method, path, details in operations(schema):
        response = getattr(api_client, method)(_url(path, details), content_type="application/json")
        # JWT only, or another scheme (a webhook's ?token=): credentials are required.
        needs_credentials = details["security"] != [] and {} not in details["security"]
        challenge = response.get("WWW-Authenticate", "")
        if needs_credentials and (response.status_code != 401 or not challenge.startswith("Bearer")):
            wrong.append((method, path, response.status_code, challenge))
        if not needs_credentials and response.status_code == 401:
            wrong.append((method, path, response.status_code, "declared public"))

    assert wrong == []


def _models(annotation: Any, found: set[type]) -> None:
    """Every Pydantic model and enum ``annotation`` refers to, nested ones included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | enum.Enum):
        if annotation not in found:
            found.add(annotation)
            for field in getattr(annotation, "model_fields", {}).values():
                _models(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _models(argument, found)


def test_no_two_models_share_a_component_name():
    found: set[type] = set()
    for operation in ninja_operations():
        # Ninja's own wrappers (the body, query and answer of one operation) are not
        # components; the models in their fields are.
        wrappers = [*operation.models, *operation.response_models.values()]
        for wrapper in wrappers:
            for field in getattr(wrapper, "model_fields", {}).values():
                _models(field.annotation, found)
    names: dict[str, set[str]] = {}
    for model in found:
        ref = TypeAdapter(list[model]).json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema)
        name = ref["items"]["$ref"].removeprefix(REF_PREFIX)
        names.setdefault(name, set()).add(f"{model.__module__}.{model.__qualname__}")

    assert len(found) > 100
    assert {name: models for name, models in names.items() if len(models) > 1} == {}


def test_forgot_password_answer_is_documented_as_a_detail_not_a_chat_message(schema):
    answer = schema["paths"]["/api/v1/accounts/auth/forgot-password/"]["post"]["responses"][200]
    ref = answer["content"]["application/json"]["schema"]["$ref"].removeprefix(REF_PREFIX)

    assert set(schema["components"]["schemas"][ref]["properties"]) == {"detail"}


def test_no_component_is_orphaned(schema):
    components = schema["components"]["schemas"]

    assert referenced_components(schema["paths"], components) == components
    assert "UserFilters" not in components  # query parameters are flattened into parameters


@pytest.mark.parametrize(
    ("path", "media_types"),
    [
        ("/api/v1/finance/invoices/{invoice_id}/pdf/", ["application/pdf"]),
        ("/api/v1/finance/owners/{owner_id}/statement/pdf/", ["application/pdf"]),
        ("/api/v1/sales/contracts/{contract_id}/document/", ["application/pdf"]),
        ("/api/v1/audit/logs/export/", ["text/csv", "application/json"]),
        ("/api/v1/finance/payments/{payment_id}/proof/", ["application/octet-stream"]),
    ],
)
def test_downloads_declare_their_media_types(schema, path, media_types):
    content = schema["paths"][path]["get"]["responses"][200]["content"]

    assert list(content) == media_types
    binary = {"type": "string", "format": "binary"}
    # A JSON file is JSON to a client: the audit export states its entries.
    assert all(item["schema"] == binary for name, item in content.items() if name != "application/json")
    if "application/json" in content:
        assert content["application/json"]["schema"]["type"] == "array"


def test_a_plain_text_answer_is_declared_as_text(schema):
    answer = schema["paths"]["/api/v1/communications/callbacks/{provider}/"]["get"]["responses"][200]

    assert answer["content"] == {"text/plain": {"schema": {"type": "string"}}}


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/finance/owners/{owner_id}/statement/", "OwnerStatementOut"),
        ("/api/v1/finance/ledger/verify/", "LedgerVerifyOut"),
    ],
)
def test_owner_statement_and_ledger_verify_answer_typed_schemas(schema, path, component):
    answer = schema["paths"][path]["get"]["responses"][200]["content"]["application/json"]["schema"]

    assert answer == {"$ref": f"{REF_PREFIX}{component}"}
    assert schema["components"]["schemas"][component]["type"] == "object"


def test_main_operations_have_examples_that_pass_their_validation(schema):
    by_id = {details["operationId"]: (details, method, path) for method, path, details in operations(schema)}
    bodies = {api.get_openapi_operation_id(operation): operation for operation in ninja_operations()}

    assert set(API_EXAMPLES) <= set(by_id)
    for name in ("login", "listing_create", "lead_create", "invoice_create", "payment_manual"):
        assert any(operation_id.endswith(f"_{name}") for operation_id in API_EXAMPLES), name
    for operation_id in API_EXAMPLES:
        details, _, _ = by_id[operation_id]
        example = details["requestBody"]["content"]["application/json"]["example"]
        body_model = next(model for model in bodies[operation_id].models if model.__ninja_param_source__ == "body")
        body_model.model_validate({"payload": example})  # a wrong example raises here


def test_info_version_is_the_package_version(schema):
    assert schema["info"]["version"] == version("domus")


def test_no_answer_is_a_free_form_object(schema):
    free_form = [
        (method, path, status)
        for method, path, details in operations(schema)
        for status, answer in details["responses"].items()
        for media in answer.get("content", {}).values()
        if media["schema"].get("type") == "object" and "properties" not in media["schema"]
    ]

    assert free_form == []


def _ordering_parameters(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    """``(method, path, details, pattern)`` of every operation taking ``ordering``; the
    pattern is '' when the parameter states none."""
    found = []
    for method, path, details in operations(schema):
        for parameter in details.get("parameters", []):
            if parameter["name"] == "ordering":
                variants = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
                patterns = [v.get("pattern", "") for v in variants if v.get("pattern", "").startswith("^$|")]
                found.append((method, path, details, patterns[0] if patterns else ""))
    return found


def test_every_ordering_parameter_states_the_fields_it_takes(schema):
    # Without them a client (and the fuzzer) can only guess, and a guess is a 400.
    unstated = [(method, path) for method, path, _, pattern in _ordering_parameters(schema) if not pattern]
    assert len(_ordering_parameters(schema)) > 50
    assert unstated == []


def _subschemas(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _subschemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _subschemas(value)


def test_bounds_and_times_are_stated_in_json_schema_terms(schema):
    """A bound under Pydantic's name (``ge``) is one no client or fuzzer reads, and
    ``format: time`` demands a UTC offset that Domus' local times of day never carry."""
    typed = [node for node in _subschemas(schema["components"]) if isinstance(node.get("type"), str)]
    assert [node for node in typed if {"ge", "le", "gt", "lt"} & set(node)] == []
    assert [node for node in typed if node.get("format") == "time"] == []
