"""One operation answers at /api/v1/<path>/, /api/<path>, with or without the slash,
and at every alias of it from an original system's path."""

import pytest

from domus.core.routing import canonical_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/accounts/me/", "/api/v1/accounts/me/"),
        ("/api/v1/accounts/me", "/api/v1/accounts/me/"),
        ("/api/accounts/me", "/api/v1/accounts/me/"),
        ("/api/auth/login", "/api/v1/accounts/auth/token/"),
        ("/api/v1/auth/login/", "/api/v1/accounts/auth/token/"),
        ("/api/users/42", "/api/v1/accounts/users/42/"),
        ("/api/stores/", "/api/v1/organizations/branches/"),
        ("/api/v1/accounts/profile/update/", "/api/v1/accounts/me/"),
        ("/api/v1/accounts/profiles/", "/api/v1/accounts/profiles/"),
        ("/api/", "/api/v1/"),
        ("/admin/login/", "/admin/login/"),
    ],
)
def test_canonical_path(path, expected):
    assert canonical_path(path) == expected


@pytest.mark.parametrize(
    "path", ["/api/v1/accounts/me/", "/api/v1/accounts/me", "/api/accounts/me/", "/api/auth/me", "/api/v1/auth/me/"]
)
@pytest.mark.django_db
def test_same_operation_at_every_form(user_client, user, path):
    response = user_client.get(path)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


@pytest.mark.django_db
def test_post_without_trailing_slash_is_not_redirected(api_client, user):
    from domus.accounts.tests.factories import DEFAULT_PASSWORD

    response = api_client.post_json("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert {"access", "refresh"} <= set(response.json())


@pytest.mark.django_db
def test_docs_are_served_from_local_static_files(api_client):
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    redoc = api_client.get("/api/redoc/")
    assert redoc.status_code == 200
    assert "/static/ninja/redoc.standalone.js" in redoc.content.decode()
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert "/api/v1/accounts/auth/token/" in schema.json()["paths"]
