"""Each original system's own OpenAPI schema (``/api/compat/<system>/schema/``): it is a valid
document listing the system's paths, and a client built from it alone (operationIds, paths,
request and answer schemas) walks the first three operations of the system's flow, its
request bodies and Domus' answers checked against the schema."""

import re
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from domus.accounts.tests.factories import DEFAULT_PASSWORD
from domus.core.compat_schema import system_schema, systems

pytestmark = pytest.mark.django_db

KEYS = ("realty-mpesa", "rems", "crm", "stats-comms", "backoffice")


class SchemaClient:
    """A generic client generated from an OpenAPI document: ``client.call(operation_id,
    body=..., **path_params)`` finds the operation's method and path in the schema, checks
    the body against its request schema, sends it, and checks the answer against the
    schema of the answer's status."""

    def __init__(self, schema: dict[str, Any], http) -> None:
        self.schema = schema
        self.http = http
        self.token: str | None = None
        self.operations = {
            details["operationId"]: (method, path, details)
            for path, item in schema["paths"].items()
            for method, details in item.items()
        }

    def _validator(self, fragment: dict[str, Any]) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator({**fragment, "components": self.schema["components"]})

    def call(self, operation_id: str, body: dict[str, Any] | None = None, **params: str) -> tuple[int, Any]:
        method, path, details = self.operations[operation_id]
        url = re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        if body is not None:
            request_schema = details["requestBody"]["content"]["application/json"]["schema"]
            self._validator(request_schema).validate(body)
            response = getattr(self.http, method)(url, body, content_type="application/json", **headers)
        else:
            response = getattr(self.http, method)(url, **headers)
        declared = details["responses"].get(str(response.status_code))
        assert declared is not None, f"{operation_id} answered an undeclared {response.status_code}"
        answer = response.json() if response.content else None
        content = declared.get("content", {}).get("application/json")
        if content is not None:
            self._validator(content["schema"]).validate(answer)
        return response.status_code, answer


@pytest.fixture
def schema_client(api_client):
    def make(key: str) -> SchemaClient:
        response = api_client.get(f"/api/compat/{key}/schema/")
        assert response.status_code == 200, response.content
        return SchemaClient(response.json(), api_client)

    return make


@pytest.mark.parametrize("key", KEYS)
def test_the_schema_of_each_system_is_valid_and_lists_its_paths(api_client, key):
    response = api_client.get(f"/api/compat/{key}/schema/")

    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    ids = [details["operationId"] for item in schema["paths"].values() for details in item.values()]
    assert len(ids) == len(set(ids))
    assert all("x-domus-operation" in details for item in schema["paths"].values() for details in item.values())
    assert key in schema["info"]["title"]
    assert set(systems()) == set(KEYS)


def test_the_schemas_list_the_paths_their_clients_call(api_client):
    paths = {key: set(system_schema(key)["paths"]) for key in KEYS}

    assert {"/api/v1/accounts/auth/token/", "/api/v1/properties/", "/api/v1/properties/visits/{visit_id}/"} <= paths[
        "realty-mpesa"
    ]
    assert "/api/v1/properties/payments/mpesa/stk/{id}/" in paths["realty-mpesa"]
    assert {"/api/v1/auth/login/", "/api/v1/projects/", "/api/v1/sales/contracts/"} <= paths["rems"]
    assert {"/api/v1/auth/login", "/api/v1/transactions", "/api/v1/clients/{id}"} <= paths["crm"]
    assert {"/api/v1/audit/logs/", "/api/v1/communication/preferences/"} <= paths["stats-comms"]
    assert {"/api/auth/login", "/api/stores", "/api/invoices/", "/api/payments/"} <= paths["backoffice"]
    assert not any(path.startswith("/api/v1/transactions") for path in paths["backoffice"])


def test_an_alias_path_names_its_own_parameters_and_keeps_only_the_free_ones():
    realty = system_schema("realty-mpesa")["paths"]
    stk = realty["/api/v1/properties/payments/mpesa/stk/{id}/"]["post"]
    routes = realty["/api/v1/accounts/auth/routes/"]["get"]

    assert [p["name"] for p in stk["parameters"] if p["in"] == "path"] == ["id"]
    assert stk["x-domus-operation"] == "POST /api/v1/finance/payments/mpesa/stk/{listing_id}/"
    assert [p for p in routes.get("parameters", []) if p["in"] == "path"] == []


def test_bodies_list_the_spellings_of_the_system_clients():
    crm = system_schema("crm")["components"]["schemas"]
    rems = system_schema("rems")
    invoice = rems["components"]["schemas"]["InvoiceIn"]

    assert {"square_feet", "adress"} <= set(crm["ListingIn"]["properties"])
    assert {"first_name", "last_name", "client_type", "preferred_locations"} <= set(crm["ClientIn"]["properties"])
    assert {"tenant", "amount", "description", "customer", "store", "items"} <= set(invoice["properties"])
    assert "lines" not in invoice.get("required", [])
    envelope = [p for p in rems["paths"]["/api/v1/projects/"]["post"]["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in envelope] == ["X-Response-Envelope"]


def test_an_unknown_system_is_a_404_naming_the_known_ones(api_client):
    response = api_client.get("/api/compat/legacy/schema/")

    assert response.status_code == 404
    assert "backoffice" in response.json()["detail"]


def test_a_client_of_the_property_backend_logs_in_lists_a_property_and_reads_the_list(schema_client, agent):
    client = schema_client("realty-mpesa")

    status, tokens = client.call("post_accounts_auth_token", {"username": agent.username, "password": DEFAULT_PASSWORD})
    client.token = tokens["access"]
    created_status, listing = client.call(
        "post_properties",
        {"title": "Two-bedroom", "price": "45000", "adress": "12 Argwings Kodhek Road", "city": "Nairobi"},
    )
    list_status, page = client.call("get_properties")

    assert (status, created_status, list_status) == (200, 201, 200)
    assert listing["address"] == "12 Argwings Kodhek Road"
    assert listing["id"] in [row["id"] for row in page["results"]]


def test_a_client_of_the_management_system_logs_in_creates_a_project_and_reads_it(schema_client, staff):
    client = schema_client("rems")

    status, tokens = client.call("post_auth_login", {"email": staff.email, "password": DEFAULT_PASSWORD})
    client.token = tokens["access"]
    created_status, project = client.call("post_projects", {"name": "Sunset Apartments", "price": "2500000.00"})
    read_status, read = client.call("get_projects_by_id", id=project["id"])

    assert (status, created_status, read_status) == (200, 201, 200)
    assert (read["title"], read["price"]) == ("Sunset Apartments", "2500000.00")


def test_a_client_of_the_crm_logs_in_creates_a_client_and_lists_them(schema_client, agent):
    client = schema_client("crm")

    status, tokens = client.call("post_auth_login", {"email": agent.email, "password": DEFAULT_PASSWORD})
    client.token = tokens["access"]
    created_status, created = client.call(
        "post_clients", {"first_name": "Grace", "last_name": "Mwangi", "client_type": "individual"}
    )
    list_status, page = client.call("get_clients")

    assert (status, created_status, list_status) == (200, 201, 200)
    assert created["name"] == "Grace Mwangi"
    assert [row["id"] for row in page["results"]] == [created["id"]]


def test_a_client_of_the_stats_api_keeps_preferences_and_reads_price_trends(schema_client, customer):
    from domus.accounts.tokens import issue_pair

    client = schema_client("stats-comms")
    client.token = issue_pair(customer).access  # the statistics API has no login path of its own

    created_status, created = client.call(
        "post_communication_preferences", {"channels": ["email", "sms"], "marketing_consent": True}
    )
    read_status, read = client.call("get_communication_preferences")
    trends_status, _ = client.call("get_stats_price_trends")

    assert (created_status, read_status, trends_status) == (201, 200, 200)
    assert read["channels"] == created["channels"] == ["email", "sms"]


def test_a_client_of_the_back_office_logs_in_opens_a_store_and_lists_stores(schema_client, company, admin_user):
    client = schema_client("backoffice")

    status, tokens = client.call("post_auth_login", {"email": admin_user.email, "password": DEFAULT_PASSWORD})
    client.token = tokens["access"]
    created_status, store = client.call("post_stores", {"name": "Westgate", "code": "WG1"})
    list_status, page = client.call("get_stores")

    assert (status, created_status, list_status) == (200, 201, 200)
    assert store["company_id"] == str(company.pk)
    assert [row["code"] for row in page["results"]] == ["WG1"]
