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
