from collections import Counter

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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_captures_by_email_and_by_phone_of_one_person_make_one_lead(client_for, staff, company, agent, settings):
    # Each capture locks its own e-mail and phone: a capture by e-mail and phone shares a
    # lock with one by the e-mail alone and with one by the phone alone, so all merge.
    settings.RATE_LIMITS_ENABLED = False
    bodies = [
        {"name": "Both", "email": "both@example.test", "phone": "0722000111"},
        {"name": "Mail", "email": "both@example.test"},
        {"name": "Phone", "phone": "0722000111"},
    ]

    clients = [client_for(staff) for _ in bodies]
    statuses = race(len(bodies), lambda i: clients[i].post_json(URL, bodies[i]).status_code)

    # The e-mail alone and the phone alone share no lock and may both come first (two
    # leads, as they would one after the other); the capture by both then merges into one
    # of them, never a third lead.
    created = statuses.count(201)
    assert created in (1, 2)
    leads = list(Lead.objects.filter(company=company))
    assert len(leads) == created
    assert sum(lead.merged_count + 1 for lead in leads) == 3
    if created == 1:
        assert leads[0].email == "both@example.test"
        assert leads[0].phone


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_new_leads_and_captures_keep_the_rotation_fair(client_for, staff, company, agent, agent2, settings):
    # New people race (each takes the cursor once, in turn) while one person's repeated
    # captures race too (merged, so they never take a turn).
    settings.RATE_LIMITS_ENABLED = False
    client_for(staff).post_json(URL, {"name": "Repeat", "email": "repeat@example.test"})  # agent 1's turn
    bodies = [{"name": f"New {n}", "email": f"new{n}@example.test"} for n in range(5)]
    bodies += [{"name": "Repeat", "email": "repeat@example.test", "message": f"again {n}"} for n in range(3)]

    clients = [client_for(staff) for _ in bodies]
    statuses = race(len(bodies), lambda i: clients[i].post_json(URL, bodies[i]).status_code)

    assert sorted(statuses) == [200] * 3 + [201] * 5
    counts = Counter(str(a) for a in Lead.objects.values_list("assigned_agent_id", flat=True))
    assert counts == {str(agent.id): 3, str(agent2.id): 3}
    assert Lead.objects.get(email="repeat@example.test").merged_count == 3
    assert AssignmentCursor.objects.filter(company=company).count() == 1
