"""A company with staff and an agent, a second company, and helpers to make leads
that can be reached (an account with preferences and marketing consent)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.fixtures import *  # noqa: F403


def _model(label: str):
    return apps.get_model(*label.split("."))


@pytest.fixture
def reachable_leads(company):
    """``reachable_leads(n, **preference)``: n leads of ``company``, each with an account
    whose preferences give marketing consent (bulk-created)."""

    def make(n: int, *, company=company, prefix: str = "p", **preference):
        user_model = get_user_model()
        users = user_model.objects.bulk_create(
            [
                user_model(
                    username=f"{prefix}{i}", email=f"{prefix}{i}@example.test", role=Role.CUSTOMER, is_active=True
                )
                for i in range(n)
            ]
        )
        pref_model = _model("communications.CommunicationPreference")
        defaults = {"marketing_consent": True, "timezone": "UTC", **preference}
        pref_model.objects.bulk_create([pref_model(user=u, **defaults) for u in users])
        lead_model = _model("crm.Lead")
        leads = [
            LeadFactory.build(company=company, user=u, email=u.email, phone=f"+2547{30000000 + i:08d}"[:13])
            for i, u in enumerate(users)
        ]
        for lead in leads:
            lead.company_id = company.pk
        return lead_model.objects.bulk_create(leads)

    return make
