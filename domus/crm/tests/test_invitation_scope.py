"""An agent invited into a company gets none of its leads before accepting."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.models import Lead
from domus.organizations.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

CONTACT = "/api/marketing/contact/"


def test_captured_leads_go_to_accepted_agents_only(api_client, company, agent):
    invited = UserFactory(role=Role.AGENT)
    MembershipFactory(company=company, user=invited, role=Role.AGENT, status="invited")

    for n in range(3):
        response = api_client.post_json(
            CONTACT, {"name": f"P{n}", "email": f"p{n}@example.test", "company_id": str(company.id)}
        )
        assert response.status_code == 201, response.content

    assert set(Lead.objects.values_list("assigned_agent_id", flat=True)) == {agent.id}
