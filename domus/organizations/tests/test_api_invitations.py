"""Joining a company is an invitation the invitee accepts: until then it grants nothing
and shows none of the invitee's contact details."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.models import Membership

pytestmark = pytest.mark.django_db

INVITATIONS = "/api/v1/organizations/invitations/"
NOTIFICATIONS = "/api/v1/communications/notifications/"


def members_url(company) -> str:
    return f"/api/v1/organizations/companies/{company.id}/members/"


def company_url(company) -> str:
    return f"/api/v1/organizations/companies/{company.id}/"


@pytest.fixture
def stranger(db):
    return UserFactory(role=Role.AGENT, email="stranger@example.test", first_name="Sam")


@pytest.fixture
def invite(staff_a_client, company_a, stranger, django_capture_on_commit_callbacks):
    """Staff of Alpha add the stranger as staff; answers the API's body."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_a_client.post_json(members_url(company_a), {"user_id": str(stranger.id), "role": "staff"})
    assert response.status_code == 201, response.content
    return response.json()


def test_adding_a_user_makes_an_invitation_that_hides_their_email(invite, stranger, company_a, staff_a_client):
    assert invite["status"] == "invited"
    assert invite["accepted_at"] is None
    assert invite["user"]["id"] == str(stranger.id)
    assert invite["user"]["email"] is None
    assert Membership.objects.get(pk=invite["id"]).status == Membership.Status.INVITED

    listed = staff_a_client.get(members_url(company_a)).json()["results"]
    row = next(m for m in listed if m["user"]["id"] == str(stranger.id))
    assert (row["status"], row["user"]["email"]) == ("invited", None)
    assert stranger.email not in str(listed)
    # Searching by the address must not confirm it either.
    assert staff_a_client.get(f"{members_url(company_a)}?search=stranger@example").json()["count"] == 0
    assert staff_a_client.get(f"{members_url(company_a)}?status=invited").json()["count"] == 1


def test_an_invitation_grants_nothing(invite, stranger, company_a, client_for):
    invitee = client_for(stranger)

    assert invitee.get(company_url(company_a)).status_code == 404
    assert invitee.patch_json(company_url(company_a), {"name": "Taken Over"}).status_code == 404
    assert invitee.get("/api/v1/organizations/companies/").json()["count"] == 0
    company_a.refresh_from_db()
    assert company_a.name == "Alpha Homes"


def test_the_invitee_is_notified_and_lists_the_invitation(invite, stranger, company_a, staff_a, client_for):
    invitee = client_for(stranger)

    notes = invitee.get(NOTIFICATIONS).json()["results"]
    assert [(n["type"], n["title"]) for n in notes] == [("membership", "You are invited to join a company")]
    assert "Alpha Homes" in notes[0]["body"]
    listed = invitee.get(INVITATIONS).json()
    assert listed["count"] == 1
    (row,) = listed["results"]
    assert (row["id"], row["company_name"], row["role"]) == (invite["id"], "Alpha Homes", "staff")
    assert row["invited_by"]["id"] == str(staff_a.id)
    assert client_for(staff_a).get(INVITATIONS).json()["count"] == 0  # one's own only


def test_accepting_makes_the_membership_take_effect(
    invite, stranger, company_a, staff_a, client_for, audit_log, django_capture_on_commit_callbacks
):
    invitee = client_for(stranger)

    with django_capture_on_commit_callbacks(execute=True):
        response = invitee.post(f"{INVITATIONS}{invite['id']}/accept/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["user"]["email"]) == ("accepted", stranger.email)
    assert body["accepted_at"] is not None
    assert Membership.objects.get(pk=invite["id"]).status == Membership.Status.ACCEPTED
    assert invitee.get(company_url(company_a)).status_code == 200
    assert invitee.get(INVITATIONS).json()["count"] == 0
    assert audit_log.objects.filter(action="accept", resource_id=invite["id"]).exists()
    titles = [n["title"] for n in client_for(staff_a).get(NOTIFICATIONS).json()["results"]]
    assert titles == ["Invitation accepted"]
    # Accepting again: nothing pending any more.
    assert invitee.post(f"{INVITATIONS}{invite['id']}/accept/").status_code == 404


def test_declining_removes_the_invitation(invite, stranger, company_a, client_for, audit_log):
    invitee = client_for(stranger)

    response = invitee.post(f"{INVITATIONS}{invite['id']}/decline/")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=invite["id"]).exists()
    assert invitee.get(company_url(company_a)).status_code == 404
    assert audit_log.objects.filter(action="decline", resource_id=invite["id"]).exists()


def test_nobody_else_answers_an_invitation(invite, staff_a_client, agent_a_client, admin_client):
    for client in (staff_a_client, agent_a_client, admin_client):
        assert client.post(f"{INVITATIONS}{invite['id']}/accept/").status_code == 404
        assert client.post(f"{INVITATIONS}{invite['id']}/decline/").status_code == 404

    assert Membership.objects.get(pk=invite["id"]).status == Membership.Status.INVITED


def test_inviting_twice_is_409(invite, staff_a_client, company_a, stranger):
    response = staff_a_client.post_json(members_url(company_a), {"user_id": str(stranger.id), "role": "agent"})

    assert response.status_code == 409
    assert "already invited" in response.json()["detail"]
    assert Membership.objects.get(company=company_a, user=stranger).role == Role.STAFF


def test_an_invited_staff_member_does_not_count_as_staff(invite, staff_a, company_a, staff_a_client):
    """The real staff member cannot leave the company to an invitee who never accepted."""
    membership = Membership.objects.get(user=staff_a, company=company_a)

    response = staff_a_client.delete(f"/api/v1/organizations/members/{membership.id}/")

    assert response.status_code == 409
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_platform_admin_adds_members_directly(admin_client, company_b, stranger, client_for):
    response = admin_client.post_json(members_url(company_b), {"user_id": str(stranger.id), "role": "agent"})

    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["user"]["email"]) == ("accepted", stranger.email)
    assert client_for(stranger).get(company_url(company_b)).status_code == 200
