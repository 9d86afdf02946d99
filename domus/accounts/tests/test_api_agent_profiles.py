"""Agent profiles: public reads, agents write their own, admins everything."""

from decimal import Decimal

import pytest

from domus.accounts.models import AgentProfile
from domus.accounts.tests.factories import AgentProfileFactory, UserFactory
from domus.core.exceptions import ErrorCode
from domus.core.roles import Role
from domus.organizations import services as org_services
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

AGENTS = "/api/v1/accounts/agent-profiles/"

pytestmark = pytest.mark.django_db


def url(agent_profile) -> str:
    return f"{AGENTS}{agent_profile.id}/"


def snapshot() -> list[tuple]:
    return list(
        AgentProfile.objects.order_by("pk").values_list("pk", "user_id", "company_id", "bio", "rating", "updated_at")
    )


@pytest.fixture
def listed(company):
    """Three public agent profiles and one of a deactivated agent."""
    return {
        "top": AgentProfileFactory(
            company=company, rating=Decimal("4.80"), is_verified=True, specialties=["Luxury villas"]
        ),
        "mid": AgentProfileFactory(rating=Decimal("3.50"), agency_name="Coastline Homes"),
        "low": AgentProfileFactory(rating=Decimal("1.00")),
        "inactive": AgentProfileFactory(user=UserFactory(role=Role.AGENT, is_active=False)),
    }


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["results"]]


# Public reads ------------------------------------------------------------------------


def test_anyone_lists_and_reads_agent_profiles(api_client, listed, company):
    top = listed["top"]
    assert ids(api_client.get(f"{AGENTS}?ordering=-rating")) == [str(listed[k].id) for k in ("top", "mid", "low")]

    body = api_client.get(url(top)).json()

    assert body["user"] == {
        "id": str(top.user.id),
        "username": top.user.username,
        "first_name": top.user.first_name,
        "last_name": top.user.last_name,
    }
    assert "email" not in body["user"]
    assert (body["company_id"], body["company_name"]) == (str(company.id), "Acme Realty")
    assert (body["rating"], body["is_verified"], body["specialties"]) == ("4.80", True, ["Luxury villas"])


def test_agent_profile_filters_and_search(api_client, listed, company):
    top, mid = str(listed["top"].id), str(listed["mid"].id)
    assert ids(api_client.get(f"{AGENTS}?company={company.id}")) == [top]
    assert ids(api_client.get(f"{AGENTS}?is_verified=true")) == [top]
    assert ids(api_client.get(f"{AGENTS}?search=villas")) == [top]
    assert ids(api_client.get(f"{AGENTS}?search=coastline")) == [mid]
    assert ids(api_client.get(f"{AGENTS}?search={listed['mid'].user.username}")) == [mid]
    assert api_client.get(f"{AGENTS}?ordering=licence_number").status_code == 400


def test_deactivated_agents_are_hidden_except_from_admins_and_themselves(api_client, admin_client, client_for, listed):
    hidden = listed["inactive"]
    assert str(hidden.id) not in ids(api_client.get(AGENTS))
    assert api_client.get(url(hidden)).status_code == 404
    assert str(hidden.id) in ids(admin_client.get(AGENTS))


def test_the_agent_profiles_list_runs_a_fixed_number_of_queries(
    api_client, client_for, listed, django_assert_num_queries
):
    AgentProfileFactory.create_batch(10)
    # the count, the page (agents and companies joined)
    with django_assert_num_queries(2):
        assert len(ids(api_client.get(AGENTS))) == 13
    signed_in = client_for(UserFactory())
    # + the caller
    with django_assert_num_queries(3):
        assert len(ids(signed_in.get(AGENTS))) == 13


# Create ------------------------------------------------------------------------------


def test_an_agent_creates_their_own_profile_once(agent_client, agent, member_company, audit_log):
    body = {
        "company_id": str(member_company.id),
        "licence_number": "EARB/0042",
        "agency_name": "Acme Realty",
        "specialties": [" Rentals ", "rentals", "Land"],
        "languages": ["en", "sw"],
    }

    response = agent_client.post_json(AGENTS, body)

    assert response.status_code == 201, response.content
    created = AgentProfile.objects.get(user=agent)
    assert created.specialties == ["Rentals", "Land"]
    assert (created.company_id, created.commission_rate, created.rating) == (member_company.id, 0, 0)
    row = audit_log.objects.get(action="create", resource_type="accounts.agentprofile")
    assert row.company_id == member_company.id

    again = agent_client.post_json(AGENTS, {"agency_name": "Second"})
    assert again.status_code == 409
    assert AgentProfile.objects.filter(user=agent).count() == 1


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.OWNER, Role.TENANT])
def test_non_agents_cannot_create_an_agent_profile(client_for, role):
    response = client_for(UserFactory(role=role)).post_json(AGENTS, {"agency_name": "Nope"})
    assert response.status_code == 403
    assert not AgentProfile.objects.exists()


def test_an_agent_cannot_create_one_for_another_agent(agent_client):
    other = UserFactory(role=Role.AGENT)
    assert agent_client.post_json(AGENTS, {"user_id": str(other.id)}).status_code == 403
    assert not AgentProfile.objects.exists()


def test_admins_create_one_for_any_agent_and_set_the_rating(admin_client, agent, company):
    body = {"user_id": str(agent.id), "company_id": str(company.id), "rating": "4.5", "is_verified": True}
    response = admin_client.post_json(AGENTS, body)
    assert response.status_code == 201, response.content
    assert (response.json()["rating"], response.json()["is_verified"]) == ("4.50", True)

    not_an_agent = admin_client.post_json(AGENTS, {"user_id": str(UserFactory(role=Role.CUSTOMER).id)})
    assert not_an_agent.status_code == 404  # no agent has this id
    assert "user_id" in not_an_agent.json()["errors"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"company_id": "01900000-0000-7000-8000-000000000000"}, 404, "company_id"),
        ({"commission_rate": "100.01"}, 400, "commission_rate"),
        ({"commission_rate": "-1"}, 400, "commission_rate"),
        ({"rating": "5.01"}, 400, "rating"),
        ({"specialties": ["x" * 65]}, 400, "specialties"),
        ({"languages": [f"l{n}" for n in range(21)]}, 400, "languages"),
        ({"rating": "4.00"}, 403, None),
        ({"is_verified": True}, 403, None),
        ({"commission_rate": "2.50"}, 403, "commission_rate"),
    ],
)
def test_agent_profile_create_refusals(agent_client, body, status, field):
    response = agent_client.post_json(AGENTS, body)
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"]
    assert not AgentProfile.objects.exists()


def test_an_agent_names_only_a_company_they_belong_to(agent_client, company):
    response = agent_client.post_json(AGENTS, {"company_id": str(company.id)})
    assert response.status_code == 400
    assert response.json()["errors"]["company_id"] == ["The agent is not a member of this company."]


# Update and delete -------------------------------------------------------------------


@pytest.fixture
def own(agent):
    return AgentProfileFactory(user=agent, rating=Decimal("3.00"))


def test_the_agent_edits_their_profile_but_not_the_rating(agent_client, own, audit_log):
    patched = agent_client.patch_json(url(own), {"bio": "20 years in Nairobi", "rating": "3.00"})
    assert patched.status_code == 200
    assert patched.json()["bio"] == "20 years in Nairobi"

    refused = agent_client.patch_json(url(own), {"rating": "5.00"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only platform admins can set rating."
    own.refresh_from_db()
    assert own.rating == Decimal("3.00")

    replaced = agent_client.put_json(url(own), {"agency_name": "Solo"})
    assert replaced.status_code == 200
    own.refresh_from_db()
    assert (own.agency_name, own.bio, own.specialties, own.rating) == ("Solo", "", [], Decimal("3.00"))
    assert audit_log.objects.filter(action="update", resource_type="accounts.agentprofile").count() == 2


def test_admins_rate_and_verify_agents(admin_client, own):
    response = admin_client.patch_json(url(own), {"rating": "4.25", "is_verified": True})
    assert response.status_code == 200
    own.refresh_from_db()
    assert (own.rating, own.is_verified) == (Decimal("4.25"), True)


def test_others_cannot_edit_or_delete_an_agent_profile(client_for, own, audit_log):
    before = snapshot()
    for caller in (UserFactory(role=Role.AGENT), UserFactory(role=Role.CUSTOMER)):
        client = client_for(caller)
        answers = [
            client.patch_json(url(own), {"bio": "hijacked"}),
            client.put_json(url(own), {"bio": "hijacked"}),
            client.delete(url(own)),
        ]
        assert [a.status_code for a in answers] == [403] * 3
        assert all(a.json()["code"] == ErrorCode.PERMISSION_ERROR for a in answers)
    assert snapshot() == before
    assert not audit_log.objects.exists()


def test_anonymous_callers_cannot_write(api_client, own):
    assert api_client.post_json(AGENTS, {}).status_code == 401
    assert api_client.patch_json(url(own), {"bio": "x"}).status_code == 401
    assert api_client.delete(url(own)).status_code == 401


def test_the_agent_or_an_admin_deletes(agent_client, admin_client, own, audit_log):
    assert agent_client.delete(url(own)).status_code == 204
    assert not AgentProfile.objects.filter(pk=own.pk).exists()
    assert audit_log.objects.filter(action="delete", resource_id=str(own.id)).exists()
    other = AgentProfileFactory()
    assert admin_client.delete(url(other)).status_code == 204
    assert not AgentProfile.objects.exists()


# Commission rate: the company's staff set it --------------------------------------------


@pytest.fixture
def rated(agent, member_company):
    return AgentProfileFactory(user=agent, company=member_company, commission_rate=Decimal("3.00"))


def test_an_agent_cannot_set_their_own_commission_rate(agent_client, rated, audit_log):
    before = snapshot()
    answers = [
        agent_client.patch_json(url(rated), {"commission_rate": "100.00"}),
        agent_client.put_json(url(rated), {"agency_name": "Solo", "commission_rate": "10.00"}),
    ]

    assert [a.status_code for a in answers] == [403, 403]
    assert all(a.json()["code"] == ErrorCode.PERMISSION_ERROR for a in answers)
    assert all(list(a.json()["errors"]) == ["commission_rate"] for a in answers)
    rated.refresh_from_db()
    assert rated.commission_rate == Decimal("3.00")
    assert snapshot() == before
    assert not audit_log.objects.filter(action="update").exists()
    # Sending the current rate back (or none, on PUT) is no change.
    assert agent_client.patch_json(url(rated), {"commission_rate": "3.00", "bio": "Hi"}).status_code == 200
    assert agent_client.put_json(url(rated), {"agency_name": "Solo"}).status_code == 200
    rated.refresh_from_db()
    assert (rated.commission_rate, rated.agency_name) == (Decimal("3.00"), "Solo")


def test_the_companys_staff_set_the_rate_and_nothing_else(client_for, admin_user, company, rated, audit_log):
    staff = UserFactory(role=Role.STAFF)
    org_services.membership_create(actor=admin_user, company=company, user=staff, role=Role.STAFF)
    api = client_for(staff)

    set_rate = api.patch_json(url(rated), {"commission_rate": "4.50"})
    bio = api.patch_json(url(rated), {"bio": "Edited by staff", "commission_rate": "4.50"})

    assert set_rate.status_code == 200, set_rate.content
    assert set_rate.json()["commission_rate"] == "4.50"
    assert (bio.status_code, list(bio.json()["errors"])) == (403, ["bio"])
    rated.refresh_from_db()
    assert (rated.commission_rate, rated.bio) == (Decimal("4.50"), "")
    assert audit_log.objects.filter(action="update", actor_id=staff.id).count() == 1


def test_staff_of_another_company_cannot_set_the_rate(client_for, rated):
    outsider = MembershipFactory(company=CompanyFactory(), role=Role.STAFF).user
    before = snapshot()

    response = client_for(outsider).patch_json(url(rated), {"commission_rate": "50.00"})

    assert response.status_code == 403
    rated.refresh_from_db()
    assert rated.commission_rate == Decimal("3.00")
    assert snapshot() == before
