"""The caller's company roles come with the token's read of the caller (one query fewer on
most requests) and are read again once a membership or a company has been written."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domus.accounts.auth import JWTAuth, user_from_access_token
from domus.accounts.tests.factories import UserFactory
from domus.accounts.tokens import issue_pair
from domus.core.roles import Role
from domus.organizations import selectors
from domus.organizations.models import Company, Membership
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker():
    """Staff of one company, agent of another; an invitation, a membership switched off
    and one of a deleted company, none of which counts."""
    user = UserFactory(role=Role.AGENT)
    staff_of = MembershipFactory(user=user, role=Role.STAFF).company
    agent_of = MembershipFactory(user=user, role=Role.AGENT).company
    MembershipFactory(user=user, role=Role.STAFF, status=Membership.Status.INVITED)
    MembershipFactory(user=user, role=Role.STAFF, is_active=False)
    gone = MembershipFactory(user=user, role=Role.STAFF).company
    gone.deleted_at = timezone.now()
    gone.save(update_fields=["deleted_at"])
    return {"user": user, "staff_of": staff_of.pk, "agent_of": agent_of.pk, "gone": gone.pk}


def _caller(user):
    """The user as an API request authenticates it."""
    return JWTAuth().authenticate(RequestFactory().get("/api/v1/accounts/me/"), issue_pair(user).access)


def _roles_queried(user) -> dict:
    """The roles as a fresh read of the user (no roles read with it) answers them."""
    return selectors.company_roles(get_user_model().objects.get(pk=user.pk))


def test_the_callers_roles_come_with_the_caller_and_agree_with_a_query(worker):
    caller = _caller(worker["user"])

    with CaptureQueriesContext(connection) as queries:
        roles = selectors.company_roles(caller)
        staff_of = selectors.staff_company_ids(caller)
        member_of = selectors.company_ids_for_user(caller)
        as_agent = selectors.user_company_role(caller, worker["agent_of"])
        in_gone = selectors.user_company_role(caller, worker["gone"])
        is_staff = selectors.is_company_staff(caller, worker["staff_of"])

    assert len(queries) == 0
    assert roles == {worker["staff_of"]: Role.STAFF, worker["agent_of"]: Role.AGENT}
    assert roles == _roles_queried(worker["user"])
    assert staff_of == {worker["staff_of"]}
    assert member_of == {worker["staff_of"], worker["agent_of"]}
    assert (as_agent, in_gone, is_staff) == (Role.AGENT, None, True)


def test_a_caller_of_no_company_has_no_roles_without_a_query():
    company_id = CompanyFactory().pk
    caller = _caller(UserFactory(role=Role.CUSTOMER))

    with CaptureQueriesContext(connection) as queries:
        assert selectors.company_roles(caller) == {}
        assert selectors.user_company_role(caller, company_id) is None

    assert len(queries) == 0


def test_the_roles_answered_are_a_copy(worker):
    caller = _caller(worker["user"])
    selectors.company_roles(caller).clear()

    assert selectors.company_roles(caller) == _roles_queried(worker["user"])


def test_a_membership_written_after_the_read_is_seen(worker):
    caller = _caller(worker["user"])
    membership = Membership.objects.get(user=worker["user"], company_id=worker["agent_of"])
    membership.role = Role.STAFF
    membership.save(update_fields=["role"])

    with CaptureQueriesContext(connection) as queries:
        roles = selectors.company_roles(caller)

    assert len(queries) == 1
    assert roles == {worker["staff_of"]: Role.STAFF, worker["agent_of"]: Role.STAFF}


def test_a_membership_deleted_after_the_read_is_seen(worker):
    caller = _caller(worker["user"])
    Membership.objects.get(user=worker["user"], company_id=worker["agent_of"]).delete()

    assert selectors.company_roles(caller) == {worker["staff_of"]: Role.STAFF}
    assert selectors.user_company_role(caller, worker["agent_of"]) is None


def test_a_company_deleted_after_the_read_is_seen(worker):
    caller = _caller(worker["user"])
    company = Company.objects.get(pk=worker["staff_of"])
    company.deleted_at = timezone.now()
    company.save(update_fields=["deleted_at"])

    assert selectors.company_roles(caller) == {worker["agent_of"]: Role.AGENT}
    assert selectors.staff_company_ids(caller) == set()
    assert not selectors.is_company_staff(caller, worker["staff_of"])


def test_a_write_of_another_users_membership_costs_one_query_not_a_wrong_answer(worker):
    caller = _caller(worker["user"])
    MembershipFactory(role=Role.AGENT)  # someone else joins some company

    with CaptureQueriesContext(connection) as queries:
        roles = selectors.company_roles(caller)

    assert len(queries) == 1
    assert roles == _roles_queried(worker["user"])


def test_a_websockets_user_reads_its_roles_each_time(worker):
    """A WebSocket's user lives as long as its connection: a membership changed by another
    process must count without a write in this one, so its roles are not kept."""
    user = user_from_access_token(issue_pair(worker["user"]).access)  # as the socket's admission does

    with CaptureQueriesContext(connection) as queries:
        roles = selectors.company_roles(user)

    assert len(queries) == 1
    assert roles == _roles_queried(worker["user"])


def test_an_agent_made_staff_may_add_members_from_the_next_request(worker, client_for):
    """Through the API: the permission read with the caller follows the membership."""
    user, company_id = worker["user"], worker["agent_of"]
    api = client_for(user)
    url = f"/api/v1/organizations/companies/{company_id}/members/"
    newcomer = UserFactory()
    assert api.post_json(url, {"user_id": str(newcomer.id), "role": "agent"}).status_code == 403

    membership = Membership.objects.get(user=user, company_id=company_id)
    membership.role = Role.STAFF
    membership.save(update_fields=["role"])

    assert api.post_json(url, {"user_id": str(newcomer.id), "role": "agent"}).status_code == 201
    assert Membership.objects.filter(user=newcomer, company_id=company_id).exists()
