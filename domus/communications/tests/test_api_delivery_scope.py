"""Who reads delivery records: a delivery carries a lead's address and the message body,
so an agent reads only the ones they sent or that went to their own leads."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.communications.models import Delivery
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import MembershipFactory

DELIVERIES = "/api/v1/communications/deliveries/"
OUTBOX = "/api/v1/communications/outbox/"
SEND = "/api/v1/communication/send/{}/"


@pytest.fixture
def colleague(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def sent(client_for, staff, agent, colleague, company, django_capture_on_commit_callbacks):
    """Staff message a lead of ``agent`` and one of ``colleague``; ``colleague`` messages
    their own lead too. Answers the deliveries by name."""
    mine = LeadFactory(company=company, assigned_agent=agent, email="mine@example.test")
    theirs = LeadFactory(company=company, assigned_agent=colleague, email="theirs@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        for lead in (mine, theirs):
            response = client_for(staff).post_json(SEND.format(lead.id), {"message": "Hi", "channel": "email"})
            assert response.status_code == 200, response.content
        response = client_for(colleague).post_json(SEND.format(theirs.id), {"message": "Private", "channel": "email"})
        assert response.status_code == 200, response.content
    return {
        "to_mine": Delivery.objects.get(address="mine@example.test"),
        "staff_to_theirs": Delivery.objects.get(address="theirs@example.test", sent_by=staff),
        "colleague_to_theirs": Delivery.objects.get(address="theirs@example.test", sent_by=colleague),
    }


def _ids(client_for, user, url=DELIVERIES) -> set[str]:
    response = client_for(user).get(url)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_an_agent_reads_only_deliveries_to_their_leads_or_sent_by_them(client_for, agent, colleague, sent):
    assert _ids(client_for, agent) == {str(sent["to_mine"].id)}
    assert _ids(client_for, agent, OUTBOX) == {str(sent["to_mine"].id)}
    assert _ids(client_for, colleague) == {str(sent["staff_to_theirs"].id), str(sent["colleague_to_theirs"].id)}
    searched = client_for(agent).get(DELIVERIES, {"search": "Private"}).json()
    assert searched["count"] == 0


def test_company_staff_read_all_of_the_companys_deliveries_and_no_one_elses(client_for, staff, other_staff, sent):
    assert _ids(client_for, staff) == {str(d.id) for d in sent.values()}
    assert _ids(client_for, other_staff) == set()
