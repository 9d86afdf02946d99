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


def _demo_counts() -> dict[str, object]:
    from domus.crm.models import Client, Lead
    from domus.finance.models import Invoice, Payment
    from domus.leasing.models import Lease
    from domus.properties.models import Visit

    return {
        "leads": sorted(Lead.objects.values_list("status", "source")),
        "clients": Client.objects.count(),
        "leases": list(Lease.objects.values_list("tenant__email", "status")),
        "invoices": sorted(Invoice.objects.values_list("status", flat=True)),
        "payments": list(Payment.objects.values_list("method", "status")),
        "visits": list(Visit.objects.values_list("customer__email", "status")),
    }


EXPECTED_DEMO = {
    "leads": [
        ("contacted", "listing_inquiry"),
        ("lost", "campaign"),
        ("new", "contact_form"),
        ("qualified", "schedule_call"),
    ],
    "clients": 1,
    "leases": [("tenant@example.com", "active")],
    "invoices": ["paid", "sent"],
    "payments": [("cash", "paid")],
    "visits": [("customer@example.com", "requested")],
}


@pytest.mark.django_db
def test_seed_demo_fills_every_area_once(settings, api_client):
    settings.EMBEDDED = True
    call_command("seed_demo", "--quiet")
    call_command("seed_demo", "--quiet")
    assert _demo_counts() == EXPECTED_DEMO

    tenant_token = api_client.post_json(
        "/api/v1/auth/login/", {"email": "tenant@example.com", "password": "password123"}
    ).json()["access"]
    invoices = api_client.get("/api/v1/finance/invoices/", HTTP_AUTHORIZATION=f"Bearer {tenant_token}").json()
    assert sorted(i["status"] for i in invoices["results"]) == ["paid", "sent"]
    from domus.crm.models import Lead

    assert len(set(Lead.objects.values_list("score", flat=True))) > 1  # the scores differ


@pytest.mark.django_db
def test_seed_demo_restores_deleted_demo_accounts_and_companies(settings, api_client, capsys):
    from django.utils import timezone

    from domus.accounts import services as accounts
    from domus.organizations.models import Company

    settings.EMBEDDED = True
    call_command("seed_demo", "--quiet")
    user_model = get_user_model()
    admin = user_model.objects.get(email="admin@example.com")
    accounts.user_delete(actor=admin, user=user_model.objects.get(email="tenant@example.com"))
    accounts.user_delete(actor=admin, user=user_model.objects.get(email="customer@example.com"))
    Company.objects.filter(name="Coastline Homes").update(deleted_at=timezone.now())
    capsys.readouterr()

    call_command("seed_demo", "--quiet")

    output = capsys.readouterr()
    assert "Restored the demo account tenant@example.com" in output.out
    assert "Restored the demo company Coastline Homes" in output.out
    assert "Skipped" not in output.err
    for email in ("tenant@example.com", "customer@example.com"):
        response = api_client.post_json("/api/v1/auth/login/", {"email": email, "password": "password123"})
        assert response.status_code == 200, email
    assert list(Company.objects.order_by("name").values_list("name", "status")) == [
        ("Acme Realty", "active"),
        ("Coastline Homes", "active"),
    ]
    assert Company.all_objects.count() == 2  # restored, not made again
    assert api_client.get("/api/v1/properties/").json()["count"] == 10
    assert _demo_counts() == EXPECTED_DEMO


@pytest.mark.django_db
def test_seed_demo_skips_a_part_it_cannot_make_with_a_warning(settings, capsys):
    from domus.organizations.models import Company

    settings.EMBEDDED = True
    call_command("seed_demo", "--quiet")
    # A platform admin suspended the demo company: onboarding cannot bring it back.
    Company.objects.filter(name="Coastline Homes").update(status="suspended")
    capsys.readouterr()

    call_command("seed_demo", "--quiet")

    err = capsys.readouterr().err
    assert "Skipped the demo company Coastline Homes" in err
    assert "suspended" in err
    assert "1 demo part(s) skipped" in err
    assert _demo_counts() == EXPECTED_DEMO  # the rest is still there, nothing doubled
