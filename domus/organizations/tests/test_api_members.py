"""Memberships: who belongs to a company, with which role, at which branch."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.models import Membership
from domus.organizations.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def members_url(company) -> str:
    return f"/api/v1/organizations/companies/{company.id}/members/"


def member_url(membership) -> str:
    return f"/api/v1/organizations/members/{membership.id}/"


def test_members_list_for_a_member(agent_a_client, company_a, staff_a, agent_a):
    response = agent_a_client.get(members_url(company_a))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {m["user"]["email"] for m in body["results"]} == {staff_a.email, agent_a.email}
    assert {m["role"] for m in body["results"]} == {"staff", "agent"}


def test_members_list_filters(staff_a_client, company_a, staff_a, agent_a, branch_a):
    MembershipFactory(company=company_a, role=Role.AGENT, is_active=False, branch=branch_a)

    def count(query: str) -> int:
        response = staff_a_client.get(f"{members_url(company_a)}?{query}")
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count("role=agent") == 2
    assert count("role=agent&is_active=true") == 1
    assert count(f"branch={branch_a.id}") == 1
    assert count(f"search={staff_a.email}") == 1
    assert staff_a_client.get(f"{members_url(company_a)}?role=admin").status_code == 400


def test_members_list_query_count_does_not_grow(staff_a_client, company_a, django_assert_num_queries):
    for _ in range(6):
        MembershipFactory(company=company_a, role=Role.AGENT)

    # the caller, the company, the count, the page (users joined)
    with django_assert_num_queries(4):
        response = staff_a_client.get(members_url(company_a))

    assert response.json()["count"] == 7


def test_admin_lists_members_of_any_company(admin_client, company_b, staff_b):
    response = admin_client.get(members_url(company_b))

    assert [m["user"]["id"] for m in response.json()["results"]] == [str(staff_b.id)]


def test_staff_adds_a_member_at_a_branch(staff_a_client, company_a, branch_a, audit_log):
    newcomer = UserFactory(role=Role.AGENT)

    response = staff_a_client.post_json(
        members_url(company_a), {"user_id": str(newcomer.id), "role": "agent", "branch_id": str(branch_a.id)}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"]["id"], body["role"], body["branch_id"]) == (str(newcomer.id), "agent", str(branch_a.id))
    membership = Membership.objects.get(pk=body["id"])
    assert (membership.company, membership.user, membership.branch) == (company_a, newcomer, branch_a)
    row = audit_log.objects.get(action="create", resource_id=str(membership.id))
    assert row.company_id == company_a.id


def test_duplicate_member_is_409(staff_a_client, company_a, agent_a):
    response = staff_a_client.post_json(members_url(company_a), {"user_id": str(agent_a.id), "role": "staff"})

    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT_ERROR"
    assert Membership.objects.get(company=company_a, user=agent_a).role == Role.AGENT


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"role": "agent"}, 400, "user_id"),
        ({"user_id": "not-a-uuid", "role": "agent"}, 400, "user_id"),
        ({"user_id": "{unknown}", "role": "agent"}, 404, "user_id"),
        ({"user_id": "{user}", "role": "admin"}, 400, "role"),
        ({"user_id": "{user}", "role": "agent", "branch_id": "{other_branch}"}, 404, "branch_id"),
    ],
)
def test_add_member_validates(staff_a_client, company_a, branch_b, payload, status, field):
    user = UserFactory()
    values = {"user": str(user.id), "unknown": "00000000-0000-7000-8000-000000000000", "other_branch": branch_b.id}
    body = {key: value.format(**values) for key, value in payload.items()}

    response = staff_a_client.post_json(members_url(company_a), body)

    assert response.status_code == status, response.content
    assert field in response.json()["errors"]
    assert not Membership.objects.filter(user=user).exists()


def test_inactive_user_cannot_be_added(staff_a_client, company_a):
    user = UserFactory(is_active=False)

    response = staff_a_client.post_json(members_url(company_a), {"user_id": str(user.id), "role": "agent"})

    assert response.status_code == 404  # no active user has this id
    assert not Membership.objects.filter(user=user).exists()


def test_agent_member_cannot_add_members(agent_a_client, company_a):
    user = UserFactory()

    response = agent_a_client.post_json(members_url(company_a), {"user_id": str(user.id), "role": "agent"})

    assert response.status_code == 403
    assert not Membership.objects.filter(user=user).exists()


def test_staff_changes_role_branch_and_active_flag(staff_a_client, company_a, agent_a, branch_a, audit_log):
    membership = Membership.objects.get(user=agent_a)

    response = staff_a_client.patch_json(
        member_url(membership), {"role": "branch_head", "branch_id": str(branch_a.id), "is_active": False}
    )

    assert response.status_code == 200, response.content
    membership.refresh_from_db()
    assert (membership.role, membership.branch, membership.is_active) == ("branch_head", branch_a, False)
    row = audit_log.objects.get(action="update", resource_id=str(membership.id))
    assert row.changes["role"] == {"before": "agent", "after": "branch_head"}
    assert row.company_id == company_a.id

    cleared = staff_a_client.patch_json(member_url(membership), {"branch_id": None})
    assert cleared.json()["branch_id"] is None


def test_a_member_reads_one_membership(agent_a_client, agent_a):
    membership = Membership.objects.get(user=agent_a)

    response = agent_a_client.get(member_url(membership))

    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(agent_a.id)


def test_last_staff_member_cannot_be_demoted_deactivated_or_removed(staff_a_client, staff_a):
    membership = Membership.objects.get(user=staff_a)

    demote = staff_a_client.patch_json(member_url(membership), {"role": "agent"})
    deactivate = staff_a_client.patch_json(member_url(membership), {"is_active": False})
    remove = staff_a_client.delete(member_url(membership))

    assert (demote.status_code, deactivate.status_code, remove.status_code) == (409, 409, 409)
    assert "at least one active staff member" in remove.json()["detail"]
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == (Role.STAFF, True)


def test_a_staff_member_can_leave_when_another_remains(staff_a_client, company_a, staff_a, audit_log):
    MembershipFactory(company=company_a, role=Role.STAFF)
    membership = Membership.objects.get(user=staff_a)

    response = staff_a_client.delete(member_url(membership))

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    row = audit_log.objects.get(action="delete", resource_id=str(membership.id))
    assert row.changes["role"] == {"before": "staff", "after": None}
    assert row.company_id == company_a.id


def test_agent_member_cannot_change_or_remove_members(agent_a_client, staff_a):
    membership = Membership.objects.get(user=staff_a)

    assert agent_a_client.patch_json(member_url(membership), {"role": "agent"}).status_code == 403
    assert agent_a_client.delete(member_url(membership)).status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.STAFF


def test_branch_of_another_company_is_refused_on_patch(staff_a_client, agent_a, branch_b):
    membership = Membership.objects.get(user=agent_a)

    response = staff_a_client.patch_json(member_url(membership), {"branch_id": str(branch_b.id)})

    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.branch is None


def test_deleting_a_branch_unassigns_its_members(staff_a_client, agent_a, branch_a):
    Membership.objects.filter(user=agent_a).update(branch=branch_a)

    assert staff_a_client.delete(f"/api/v1/organizations/branches/{branch_a.id}/").status_code == 204

    assert Membership.objects.get(user=agent_a).branch is None


def test_members_list_needs_membership(staff_b_client, company_a):
    assert staff_b_client.get(members_url(company_a)).status_code == 404
