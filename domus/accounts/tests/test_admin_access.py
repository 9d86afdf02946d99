"""Who may use the Django admin: platform admins (role ``admin``), signing in with their
e-mail or their username; ``createsuperuser`` makes one."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from domus.accounts import services
from domus.core.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _admin_login(client, username: str, password: str = PASSWORD):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def _create(role: str, email: str = "ada@example.com", username: str = "ada"):
    return services.user_create(actor=None, email=email, username=username, password=PASSWORD, role=role)


@pytest.mark.parametrize("identifier", ["ada@example.com", "ADA@example.com", "ada", "Ada"])
def test_a_platform_admin_signs_in_to_the_admin_with_email_or_username(client, identifier):
    _create(Role.ADMIN)

    response = _admin_login(client, identifier)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", [Role.AGENT, Role.OWNER, Role.TENANT, Role.CUSTOMER])
def test_other_roles_are_refused(client, role):
    _create(role)

    response = _admin_login(client, "ada@example.com")

    assert response.status_code == 200  # the form again, with its error
    assert "correct username and password" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_wrong_password_is_refused(client):
    _create(Role.ADMIN)

    assert _admin_login(client, "ada@example.com", "wrong password").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_losing_the_admin_role_loses_the_admin(client):
    other_admin = _create(Role.ADMIN, email="root@example.com", username="root")
    ada = _create(Role.ADMIN)

    services.user_update(actor=other_admin, user=ada, role=Role.AGENT)

    ada.refresh_from_db()
    assert (ada.is_staff, ada.is_superuser) == (False, False)
    assert _admin_login(client, "ada").status_code == 200


def test_createsuperuser_makes_a_platform_admin():
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com")

    user = get_user_model().objects.get(username="root")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)
