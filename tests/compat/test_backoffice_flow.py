"""The Django back office for stores, catalog, bookings and attendance, as its clients
use it: its system admin logs in, opens a store, makes advisors and other system admins
with its role names and lists them by role; a visitor leaves the contact form with no
company; on its paths (``/api/...``, no version)."""

import pytest
from django.apps import apps

from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db
User = apps.get_model("accounts", "User")
Branch = apps.get_model("organizations", "Branch")
Lead = apps.get_model("crm", "Lead")


def _login(api_client, user) -> dict[str, str]:
    response = api_client.post_json("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


@pytest.fixture
def system_admin(db):
    return UserFactory(role=Role.ADMIN)


def test_the_system_admin_opens_a_store_of_the_only_company(api_client, company, system_admin):
    auth = _login(api_client, system_admin)

    store = api_client.post_json("/api/stores", {"name": "Westgate", "code": "WG1", "city": "Nairobi"}, **auth)
    stores = api_client.get("/api/stores", **auth)

    assert store.status_code == 201, store.content
    assert (store.json()["company_id"], store.json()["code"]) == (str(company.pk), "WG1")
    assert Branch.objects.get().company_id == company.pk
    assert [row["code"] for row in stores.json()["results"]] == ["WG1"]


def test_a_store_without_a_company_among_several_is_a_400(api_client, company, other_company, system_admin):
    response = api_client.post_json(
        "/api/stores", {"name": "Westgate", "code": "WG1"}, **_login(api_client, system_admin)
    )

    assert response.status_code == 400
    assert "company_id" in response.json()["errors"]
    assert not Branch.objects.exists()


def test_the_system_admin_makes_advisors_and_admins_and_lists_them_by_role(api_client, system_admin):
    auth = _login(api_client, system_admin)

    advisor = api_client.post_json(
        "/api/users", {"email": "amina@example.test", "password": "a-long-passphrase-1", "role": "advisor"}, **auth
    )
    admin = api_client.post_json(
        "/api/users", {"email": "ops@example.test", "password": "a-long-passphrase-2", "role": "system_admin"}, **auth
    )
    advisors = api_client.get("/api/users", {"role": "advisor"}, **auth)
    admins = api_client.get("/api/users", {"role": "system_admin"}, **auth)
    promoted = api_client.patch_json(f"/api/users/{advisor.json()['id']}", {"role": "system_admin"}, **auth)

    assert advisor.status_code == 201, advisor.content
    assert advisor.json()["role"] == "agent"
    assert admin.json()["role"] == "admin"
    assert [row["email"] for row in advisors.json()["results"]] == ["amina@example.test"]
    assert sorted(row["email"] for row in admins.json()["results"]) == sorted(["ops@example.test", system_admin.email])
    assert promoted.status_code == 200, promoted.content
    assert User.objects.get(email="amina@example.test").role == Role.ADMIN


def test_an_advisor_signs_up_as_an_agent_but_nobody_signs_up_as_system_admin(api_client):
    advisor = api_client.post_json(
        "/api/auth/register", {"email": "kevin@example.test", "password": "a-long-passphrase-3", "role": "advisor"}
    )
    admin = api_client.post_json(
        "/api/auth/register", {"email": "eve@example.test", "password": "a-long-passphrase-4", "role": "system_admin"}
    )

    assert advisor.status_code == 202, advisor.content
    assert User.objects.get(email="kevin@example.test").role == Role.AGENT
    assert admin.status_code == 400
    assert "role" in admin.json()["errors"]
    assert not User.objects.filter(email="eve@example.test").exists()


def test_a_non_admin_cannot_make_a_system_admin(api_client, agent):
    response = api_client.post_json(
        "/api/users",
        {"email": "eve@example.test", "password": "a-long-passphrase-5", "role": "system_admin"},
        **_login(api_client, agent),
    )

    assert response.status_code == 403
    assert not User.objects.filter(email="eve@example.test").exists()


def test_the_contact_form_without_a_company_goes_to_the_only_active_company(api_client, company):
    response = api_client.post_json(
        "/api/marketing/contact/", {"name": "Brian", "email": "brian@example.test", "message": "Call me"}
    )

    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert (lead.company_id, lead.email) == (company.pk, "brian@example.test")


def test_the_contact_form_goes_to_the_configured_default_company(settings, api_client, company, other_company):
    CompanyFactory(name="Still onboarding", slug="onboarding", status="draft")
    unset = api_client.post_json("/api/marketing/contact/", {"name": "Brian", "email": "brian@example.test"})
    settings.DEFAULT_COMPANY_SLUG = other_company.slug
    configured = api_client.post_json("/api/marketing/contact/", {"name": "Brian", "email": "brian@example.test"})

    assert unset.status_code == 400  # two active companies, none configured
    assert "listing_id" in unset.json()["errors"]
    assert configured.status_code == 201, configured.content
    assert Lead.objects.get().company_id == other_company.pk
