"""GET /api/v1/ops/routes/<app>/ (and the M-Pesa backend's /accounts/auth/routes/): one app's
part of the route reference."""

import pytest

URL = "/api/v1/ops/routes/{}/"


def rows_by_path(response) -> dict[tuple[str, str], dict]:
    assert response.status_code == 200, response.content
    return {(row["method"], row["path"]): row for row in response.json()}


def test_the_accounts_routes_with_their_aliases(api_client):
    rows = rows_by_path(api_client.get(URL.format("accounts")))

    assert rows[("POST", "/api/v1/accounts/auth/token/")] == {
        "method": "POST",
        "path": "/api/v1/accounts/auth/token/",
        "alias_of": None,
        "permission": "public",
        "summary": "Log in with username or e-mail and password",
    }
    assert rows[("POST", "/api/v1/auth/login/")]["alias_of"] == "/api/v1/accounts/auth/token/"
    assert rows[("GET", "/api/v1/users/{id}/")]["alias_of"] == "/api/v1/accounts/users/{user_id}/"
    assert rows[("GET", "/api/v1/accounts/users/")]["permission"] == "admin"
    assert rows[("GET", "/api/v1/accounts/me/")]["permission"] == "authenticated"
    # the M-Pesa backend's path of this very list is under accounts too
    assert rows[("GET", "/api/v1/accounts/auth/routes/")]["alias_of"] == "/api/v1/ops/routes/accounts/"
    assert not [path for _, path in rows if path.startswith(("/api/v1/audit/", "/api/v1/organizations/"))]


def test_the_original_path_answers_the_same_list(api_client):
    canonical = api_client.get(URL.format("accounts"))

    for path in ("/api/v1/accounts/auth/routes/", "/api/accounts/auth/routes"):
        alias = api_client.get(path)
        assert alias.status_code == 200
        assert alias.json() == canonical.json()


def test_other_apps_answer_their_own_routes(api_client):
    rows = rows_by_path(api_client.get(URL.format("audit")))

    assert set(rows) == {
        ("GET", "/api/v1/audit/logs/"),
        ("GET", "/api/v1/audit/logs/export/"),
        ("GET", "/api/v1/audit/logs/{log_id}/"),
        ("GET", "/api/v1/logs/"),
        ("GET", "/api/v1/logs/export/"),
        ("GET", "/api/v1/logs/{id}/"),
    }
    assert {row["permission"] for row in rows.values()} == {"admin"}


def test_an_unknown_app_is_a_404(api_client):
    response = api_client.get(URL.format("nothing-here"))

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND_ERROR"


@pytest.mark.django_db
def test_signed_in_callers_get_the_same_list(user_client, api_client):
    assert user_client.get(URL.format("accounts")).json() == api_client.get(URL.format("accounts")).json()
