"""The Django back office for stores, catalog, bookings and attendance, as its clients
use it: its system admin logs in, opens a store, makes advisors and other system admins
with its role names and lists them by role; a visitor leaves the contact form with no
company; a customer registers and logs in; the store invoices the customer with its items
and takes the payment; on its paths (``/api/...``, no version)."""

import re

import pytest
from django.apps import apps

from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import BranchFactory, CompanyFactory

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


Invoice = apps.get_model("finance", "Invoice")
Payment = apps.get_model("finance", "Payment")


def _mailed_token(mailoutbox, to: str) -> str:
    message = next(m for m in reversed(mailoutbox) if to in m.to)
    return re.search(r"^Token: (\S+)$", message.body, re.MULTILINE).group(1)


def test_a_customer_registers_then_logs_in_when_sign_up_needs_no_activation(settings, api_client, mailoutbox):
    settings.SIGNUP_ACTIVATION = "none"
    body = {"email": "kevin@example.test", "password": "a-long-passphrase-6"}

    registered = api_client.post_json("/api/auth/register", body)
    login = api_client.post_json("/api/auth/login", body)

    assert registered.status_code == 202, registered.content
    assert "log in" in registered.json()["detail"]
    assert login.status_code == 200, login.content
    me = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert (me.json()["email"], me.json()["role"]) == ("kevin@example.test", "customer")
    assert mailoutbox == []  # no activation token to send


def test_a_customer_registers_activates_and_logs_in_on_its_paths(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    body = {"email": "kevin@example.test", "password": "a-long-passphrase-7"}

    with django_capture_on_commit_callbacks(execute=True):
        registered = api_client.post_json("/api/auth/register", body)
    before = api_client.post_json("/api/auth/login", body)
    user = User.objects.get(email="kevin@example.test")
    activated = api_client.post_json(
        f"/api/auth/{user.username}/activate", {"token": _mailed_token(mailoutbox, user.email)}
    )
    after = api_client.post_json("/api/auth/login", body)

    assert registered.status_code == 202
    assert before.status_code == 401
    assert activated.status_code == 200, activated.content
    assert after.status_code == 200, after.content


def test_the_store_invoices_a_customer_with_items_and_takes_the_payment(
    settings, api_client, company, system_admin, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SIGNUP_ACTIVATION = "none"
    credentials = {"email": "kevin@example.test", "password": "a-long-passphrase-8"}
    api_client.post_json("/api/auth/register", credentials)
    customer_login = api_client.post_json("/api/auth/login", credentials).json()
    customer = {"HTTP_AUTHORIZATION": f"Bearer {customer_login['access']}"}
    contact = api_client.post_json(
        "/api/marketing/contact/",
        {"name": "Kevin", "email": credentials["email"], "message": "Screen repair"},
        **customer,
    )
    admin = _login(api_client, system_admin)
    store = api_client.post_json("/api/stores", {"name": "Westgate", "code": "WG1"}, **admin).json()
    kevin = User.objects.get(email=credentials["email"])

    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post_json(
            "/api/invoices/",
            {
                "customer": str(kevin.pk),
                "store": store["id"],
                "items": [
                    {"name": "Screen", "quantity": "1", "price": "120.00"},
                    {"name": "Labour", "quantity": "2", "price": "15.50"},
                ],
            },
            **admin,
        )
    assert contact.status_code == 201, contact.content
    assert created.status_code == 201, created.content
    invoice = created.json()
    assert (invoice["company_id"], invoice["recipient_id"], invoice["status"]) == (
        str(company.pk),
        str(kevin.pk),
        "sent",
    )
    assert invoice["total"] == "151.00"
    assert invoice["due_date"] == invoice["issue_date"]
    assert [(line["description"], line["amount"]) for line in invoice["lines"]] == [
        ("Screen", "120.00"),
        ("Labour", "31.00"),
    ]
    assert [message.to for message in mailoutbox] == [[kevin.email]]

    paid = api_client.post_json(
        "/api/payments/",
        {"invoice": invoice["id"], "amount": "151.00", "method": "cash", "reference": "TILL-0001"},
        **admin,
    )
    listed = api_client.get("/api/payments/", {"invoice_id": invoice["id"]}, **admin)
    after = api_client.get(f"/api/invoices/{invoice['id']}/", **admin)
    mine = api_client.get("/api/invoices/", **customer)

    assert paid.status_code == 201, paid.content
    assert (paid.json()["status"], paid.json()["amount"]) == ("paid", "151.00")
    assert [row["id"] for row in listed.json()["results"]] == [paid.json()["id"]]
    assert (after.json()["status"], after.json()["balance_due"]) == ("paid", "0.00")
    assert [row["id"] for row in mine.json()["results"]] == [invoice["id"]]


def test_an_invoice_for_a_store_of_another_company_than_named_is_a_400(
    api_client, company, other_company, system_admin
):
    store = BranchFactory(company=other_company)
    customer = UserFactory(role=Role.CUSTOMER)

    response = api_client.post_json(
        "/api/invoices/",
        {
            "company_id": str(company.pk),
            "customer": str(customer.pk),
            "store": str(store.pk),
            "items": [{"name": "Screen", "price": "1.00"}],
        },
        **_login(api_client, system_admin),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"store_id"}
    assert not Invoice.objects.exists()


def test_a_customer_the_company_does_not_know_is_not_invoiced(api_client, company, system_admin):
    store = BranchFactory(company=company)
    stranger = UserFactory(role=Role.CUSTOMER)

    response = api_client.post_json(
        "/api/invoices/",
        {"customer": str(stranger.pk), "store": str(store.pk), "items": [{"name": "Screen", "price": "1.00"}]},
        **_login(api_client, system_admin),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"recipient_id"}
    assert not Invoice.objects.exists()
