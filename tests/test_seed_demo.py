import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from domus.organizations import selectors as org_selectors

DEMO_EMAILS = {
    "admin@example.com",
    "agent@example.com",
    "owner@example.com",
    "tenant@example.com",
    "customer@example.com",
}


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_demo_accounts_log_in(settings, api_client, capsys):
    settings.EMBEDDED = True
    call_command("seed_demo")
    call_command("seed_demo", "--quiet")
    users = get_user_model().objects.filter(email__in=DEMO_EMAILS)
    assert {u.email: u.role for u in users} == {
        "admin@example.com": "admin",
        "agent@example.com": "agent",
        "owner@example.com": "owner",
        "tenant@example.com": "tenant",
        "customer@example.com": "customer",
    }
    admin = users.get(role="admin")
    companies = org_selectors.company_visible_to(admin).order_by("name")
    assert [(c.name, c.status) for c in companies] == [("Acme Realty", "active"), ("Coastline Homes", "active")]
    assert all(c.branches.count() == 2 for c in companies)
    assert "admin@example.com" in capsys.readouterr().out

    response = api_client.post_json("/api/v1/auth/login/", {"email": "admin@example.com", "password": "password123"})
    assert response.status_code == 200
    assert {"access", "refresh"} <= set(response.json())

    portal = api_client.get("/api/v1/properties/?city=Nairobi&ordering=price").json()
    assert portal["count"] == 6
    assert portal["results"][0]["title"] == "Kileleshwa studio"
    assert api_client.get("/api/v1/properties/?features=swimming-pool").json()["count"] == 3
    assert api_client.get("/api/v1/properties/").json()["count"] == 10  # not doubled by the second run


@pytest.mark.django_db
def test_seed_demo_refuses_outside_the_embedded_default(settings):
    settings.EMBEDDED = False
    with pytest.raises(CommandError, match="embedded default"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(email__in=DEMO_EMAILS).exists()
