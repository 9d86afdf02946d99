"""The real-estate management system's response envelope: its clients send
``X-Response-Envelope: rems`` and read ``{"status", "data", "message"}`` on success and
``{"status": "error", "error": {"code", "message", "details"}}`` on error; clients that
do not send it get Domus' own answers."""

import pytest

from domus.accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

API = "/api/v1"
REMS = {"HTTP_X_RESPONSE_ENVELOPE": "rems"}


def _login(api_client, user) -> dict[str, str]:
    response = api_client.post_json(f"{API}/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, **REMS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["message"]) == ("success", "OK")
    return {"HTTP_AUTHORIZATION": f"Bearer {body['data']['access']}", **REMS}


def test_the_flow_reads_data_from_the_envelope(api_client, company, staff):
    auth = _login(api_client, staff)

    created = api_client.post_json(f"{API}/projects/", {"name": "Sunset Apartments", "price": "2500000.00"}, **auth)
    listed = api_client.get(f"{API}/projects/", **auth)
    detail = api_client.get(f"{API}/projects/{created.json()['data']['id']}/", **auth)

    assert created.status_code == 201, created.content
    assert created.json()["status"] == "success"
    assert created.json()["message"] == "Created"
    project = created.json()["data"]
    assert (project["title"], project["price"], project["company_id"]) == (
        "Sunset Apartments",
        "2500000.00",
        str(company.pk),
    )
    assert listed.json()["status"] == "success"
    assert listed.json()["data"]["count"] == 1
    assert [row["id"] for row in listed.json()["data"]["results"]] == [project["id"]]
    assert detail.json()["data"] == project
    assert "X-Response-Envelope" in created["Vary"]


def test_errors_come_in_the_error_envelope(api_client, staff):
    auth = _login(api_client, staff)

    invalid = api_client.post_json(f"{API}/projects/", {"name": "X", "price": "not a number", "colour": "red"}, **auth)
    missing = api_client.get(f"{API}/projects/00000000-0000-0000-0000-000000000000/", **auth)
    anonymous = api_client.get(f"{API}/finance/invoices/", **REMS)
    wrong_login = api_client.post_json(f"{API}/auth/login/", {"email": staff.email, "password": "nope"}, **REMS)

    assert invalid.status_code == 400
    body = invalid.json()
    assert set(body) == {"status", "error"}
    assert body["status"] == "error"
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["message"]
    assert {"price", "colour"} <= set(body["error"]["details"])
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND_ERROR"
    assert missing.json()["error"]["details"] == {}
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert anonymous.has_header("WWW-Authenticate")
    assert wrong_login.status_code == 401
    assert wrong_login.json()["status"] == "error"


def test_an_unknown_path_in_the_envelope(api_client):
    response = api_client.get("/api/v1/no-such-thing/", **REMS)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND_ERROR"


def test_without_the_header_answers_stay_bare(api_client, staff):
    response = api_client.post_json(f"{API}/auth/login/", {"email": staff.email, "password": DEFAULT_PASSWORD})
    error = api_client.get(f"{API}/finance/invoices/")

    assert "access" in response.json()
    assert "status" not in response.json()
    assert set(error.json()) == {"detail", "code", "errors"}


def test_an_unknown_envelope_is_a_400_naming_the_header(api_client, staff):
    response = api_client.post_json(
        f"{API}/auth/login/",
        {"email": staff.email, "password": DEFAULT_PASSWORD},
        HTTP_X_RESPONSE_ENVELOPE="jsonapi",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "X-Response-Envelope" in response.json()["errors"]


def test_empty_and_file_answers_are_left_alone(api_client, company, staff):
    auth = _login(api_client, staff)
    project = api_client.post_json(f"{API}/projects/", {"name": "Riverside", "price": "1.00"}, **auth).json()["data"]

    head = api_client.head(f"{API}/projects/", **auth)
    deleted = api_client.delete(f"{API}/projects/{project['id']}/", **auth)
    schema = api_client.get("/api/schema/", **REMS)

    assert (head.status_code, head.content) == (200, b"")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert schema.status_code == 200
    assert "openapi" in schema.json()
