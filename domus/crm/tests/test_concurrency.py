import pytest

from domus.core.tests.threads import race
from domus.crm.models import AssignmentCursor, Lead

URL = "/api/v1/crm/leads/"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_captures_of_one_person_make_one_lead(client_for, staff, company, agent, settings):
    settings.RATE_LIMITS_ENABLED = False
    client_for(staff).post_json(URL, {"name": "Warm-up", "email": "first@example.test"})  # the cursor exists
    bodies = [{"name": "Racer", "email": "racer@example.test", "message": f"try {n}"} for n in range(3)]

    clients = [client_for(staff) for _ in bodies]
    statuses = race(len(bodies), lambda i: clients[i].post_json(URL, bodies[i]).status_code)

    assert sorted(statuses) == [200, 200, 201]
    lead = Lead.objects.get(email="racer@example.test")
    assert (lead.merged_count, lead.assigned_agent_id) == (2, agent.id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_new_leads_go_round_robin_in_turn(client_for, staff, company, agent, agent2, settings):
    settings.RATE_LIMITS_ENABLED = False
    bodies = [{"name": f"Lead {n}", "email": f"lead{n}@example.test"} for n in range(4)]

    clients = [client_for(staff) for _ in bodies]
    statuses = race(len(bodies), lambda i: clients[i].post_json(URL, bodies[i]).status_code)

    assert statuses == [201] * 4
    agents = sorted(str(a) for a in Lead.objects.values_list("assigned_agent_id", flat=True))
    assert agents == sorted([str(agent.id)] * 2 + [str(agent2.id)] * 2)
    assert AssignmentCursor.objects.filter(company=company).count() == 1
