import pytest

from domus.crm.models import Client
from domus.crm.tests.factories import ClientFactory

URL = "/api/v1/crm/clients/"
ALIAS = "/api/v1/clients"


def test_an_agent_creates_a_client_and_becomes_its_agent(client_for, agent, company, audit_log):
    response = client_for(agent).post_json(
        ALIAS,
        {
            "name": "Mary Wambui",
            "email": "Mary@Example.test",
            "phone": "+254 700 111 222",
            "budget_min": "5000000",
            "budget_max": "8000000",
            "locations": ["Kilimani"],
            "property_types": ["apartment"],
            "bedrooms_min": 2,
            "tags": ["vip"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["company_id"], body["assigned_agent_id"], body["email"], body["phone"]) == (
        str(company.id),
        str(agent.id),
        "mary@example.test",
        "+254700111222",
    )
    assert body["budget_min"] == "5000000.00"
    assert audit_log.objects.filter(resource_type="crm.client", resource_id=body["id"], action="create").exists()


def test_clients_are_scoped_agents_see_theirs_staff_their_company(
    client_for, company, other_company, staff, other_staff, agent, agent2, django_assert_num_queries
):
    mine = ClientFactory(company=company, assigned_agent=agent)
    ClientFactory(company=company, assigned_agent=agent2)
    ClientFactory(company=other_company)

    def ids(user) -> set[str]:
        return {row["id"] for row in client_for(user).get(URL).json()["results"]}

    assert ids(agent) == {str(mine.id)}
    assert len(ids(staff)) == 2
    assert len(ids(other_staff)) == 1
    api = client_for(staff)
    with django_assert_num_queries(3):  # user with their companies, count, page: no N+1
        api.get(URL)


def test_patch_updates_preferences_and_agent(client_for, staff, agent, agent2, company):
    client = ClientFactory(company=company, assigned_agent=agent)

    response = client_for(staff).patch_json(
        f"{ALIAS}/{client.id}", {"assigned_agent_id": str(agent2.id), "tags": ["hot"], "budget_max": "900000"}
    )

    assert response.status_code == 200, response.content
    client.refresh_from_db()
    assert (client.assigned_agent_id, client.tags, str(client.budget_max)) == (agent2.id, ["hot"], "900000.00")


def test_another_agent_or_company_cannot_touch_a_client(client_for, company, agent, agent2, other_staff):
    client = ClientFactory(company=company, assigned_agent=agent, name="Original")

    for outsider in (agent2, other_staff):
        response = client_for(outsider).patch_json(f"{URL}{client.id}/", {"name": "Hacked"})
        assert response.status_code == 404

    client.refresh_from_db()
    assert client.name == "Original"


def test_customers_cannot_create_clients(client_for, customer):
    response = client_for(customer).post_json(URL, {"name": "X"})

    assert response.status_code == 403
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"name": "X", "budget_min": "10", "budget_max": "5"}, 400, None),
        ({"name": "X", "email": "nope"}, 400, "email"),
        ({"name": "X", "assigned_agent_id": "00000000-0000-0000-0000-000000000000"}, 404, "assigned_agent_id"),
    ],
)
def test_bad_client_input_is_refused(client_for, staff, payload, status, field):
    response = client_for(staff).post_json(URL, payload)

    assert response.status_code == status
    if field:
        assert field in str(response.json()["errors"])
    assert not Client.objects.exists()


def test_assigning_an_agent_of_another_company_is_refused(client_for, staff, company, other_staff):
    client = ClientFactory(company=company)

    response = client_for(staff).patch_json(f"{URL}{client.id}/", {"assigned_agent_id": str(other_staff.id)})

    assert response.status_code == 404  # no agent of this company has the id
    client.refresh_from_db()
    assert client.assigned_agent_id is None


def test_client_list_filters_by_tag_and_search(client_for, staff, company):
    ClientFactory(company=company, name="Tagged One", tags=["vip", "cash"])
    ClientFactory(company=company, name="Plain", tags=["vipish"])

    tagged = client_for(staff).get(URL, {"tag": "vip"}).json()
    searched = client_for(staff).get(URL, {"search": "plain"}).json()

    assert [row["name"] for row in tagged["results"]] == ["Tagged One"]
    assert [row["name"] for row in searched["results"]] == ["Plain"]
