"""Staff notify only the users their company has a relationship with, and a company that
is not active only its own members."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.communications.tests.factories import TicketFactory
from domus.core.roles import Role
from domus.crm.tests.factories import ClientFactory, LeadFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.tests.factories import MembershipFactory
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/communications/notifications/"


def _notify(client, recipient):
    return client.post_json(URL, {"recipient_id": str(recipient.id), "title": "Hello"})


def _inbox(client_for, user) -> int:
    return client_for(user).get(URL).json()["count"]


def test_staff_cannot_notify_a_stranger(client_for, staff, stranger):
    assert _notify(client_for(staff), stranger).status_code == 403
    assert _inbox(client_for, stranger) == 0


def test_staff_cannot_notify_someone_they_only_invited(client_for, staff, company, stranger):
    MembershipFactory(company=company, user=stranger, role=Role.AGENT, status="invited")

    assert _notify(client_for(staff), stranger).status_code == 403
    assert _inbox(client_for, stranger) == 0


@pytest.mark.parametrize("link", ["client", "lead", "tenant", "member"])
def test_staff_notify_users_related_to_their_company(client_for, staff, company, stranger, link):
    if link == "client":
        ClientFactory(company=company, user=stranger)
    elif link == "lead":
        LeadFactory(company=company, user=stranger)
    elif link == "tenant":
        LeaseFactory(listing=ListingFactory(company=company), tenant=stranger, status="active")
    else:
        MembershipFactory(company=company, user=stranger, role=Role.AGENT)

    assert _notify(client_for(staff), stranger).status_code == 201
    assert _inbox(client_for, stranger) == 1


def test_a_company_in_onboarding_notifies_only_its_members(client_for, staff, company, stranger):
    company.status = "draft"
    company.save()
    ClientFactory(company=company, user=stranger)
    member = MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    client = client_for(staff)

    assert _notify(client, stranger).status_code == 403
    assert _notify(client, member).status_code == 201
    assert (_inbox(client_for, stranger), _inbox(client_for, member)) == (0, 1)


def test_an_invited_agent_hears_nothing_of_the_companys_tickets(
    client_for, alice, staff, company, django_capture_on_commit_callbacks
):
    invited = UserFactory(role=Role.AGENT)
    MembershipFactory(company=company, user=invited, role=Role.AGENT, status="invited")
    ticket = TicketFactory(customer=alice, company=company)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post_json(f"/api/v1/communications/tickets/{ticket.id}/reply/", {"body": "Hi?"})

    assert response.status_code == 201
    assert (_inbox(client_for, staff), _inbox(client_for, invited)) == (1, 0)


def test_a_company_in_onboarding_messages_no_lead(client_for, staff, company, django_capture_on_commit_callbacks):
    company.status = "draft"
    company.save()
    lead = LeadFactory(company=company)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post_json(
            f"/api/v1/communication/send/{lead.id}/", {"message": "Hi", "channel": "sms"}
        )

    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    assert (result["status"], result["reason"]) == (
        "refused",
        "The lead's company is not active: it messages no one outside it.",
    )
    assert client_for(staff).get("/api/v1/communications/outbox/").json()["count"] == 0
