"""The back office lists and opens every CRM model."""

import pytest
from django.urls import reverse

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.models import AssignmentCursor, LeadActivity
from domus.crm.tests.factories import ClientFactory, LeadFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_every_model_opens_in_the_admin(superuser_client, company):
    lead = LeadFactory(company=company, name="Visible Lead")
    rows = [
        ClientFactory(company=company),
        lead,
        LeadActivity.objects.create(lead=lead, kind="call"),
        AssignmentCursor.objects.create(company=company),
    ]

    for row in rows:
        meta = row._meta
        changelist = superuser_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200
        change = superuser_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))
        assert change.status_code == 200, meta.label
    assert b"Visible Lead" in superuser_client.get(reverse("admin:crm_lead_changelist")).content


@pytest.mark.parametrize("term", ["0711 000 111", "+254711000111", "254711000111", "0711000111"])
def test_a_phone_number_is_found_in_any_spelling(superuser_client, company, term):
    LeadFactory(company=company, name="Phone Lead", phone="+254711000111")
    LeadFactory(company=company, name="Other Lead", phone="+254722000999")
    ClientFactory(company=company, name="Phone Client", phone="+254711000111")

    leads = superuser_client.get(reverse("admin:crm_lead_changelist"), {"q": term}).content
    clients = superuser_client.get(reverse("admin:crm_client_changelist"), {"q": term}).content

    assert b"Phone Lead" in leads
    assert b"Other Lead" not in leads
    assert b"Phone Client" in clients


def test_deleted_clients_are_marked_and_filterable(superuser_client, company):
    from django.utils import timezone

    ClientFactory(company=company, name="Live Client")
    gone = ClientFactory(company=company, name="Gone Client")
    type(gone).all_objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    url = reverse("admin:crm_client_changelist")

    everything = superuser_client.get(url).content.decode()
    deleted = superuser_client.get(url, {"deleted": "yes"}).content.decode()
    live = superuser_client.get(url, {"deleted": "no"}).content.decode()

    assert "Gone Client" in everything
    assert "Live Client" in everything
    assert 'column-deleted"' in everything  # the "deleted" column, ticked for the deleted row
    assert 'alt="True"' in deleted
    assert "Gone Client" in deleted
    assert "Live Client" not in deleted
    assert "Live Client" in live
    assert "Gone Client" not in live


def test_lead_activities_are_named_in_the_plural(superuser_client):
    index = superuser_client.get(reverse("admin:index")).content.decode()
    assert "Lead activities" in index
    assert "Lead activitys" not in index
