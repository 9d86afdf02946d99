"""A company with staff and an agent, a second company, and helpers to make leads
that can be reached (an account with preferences and marketing consent)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory(name="Alpha Homes")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Beta Estates")


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF).user


@pytest.fixture
def other_staff(other_company):
    return MembershipFactory(company=other_company, role=Role.STAFF).user


@pytest.fixture
def agent(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


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
