import threading

import pytest
from django.db import connection

from domus.crm.models import AssignmentCursor, Lead

URL = "/api/v1/crm/leads/"


def _enter_at_once(clients, bodies) -> list[int]:
    """Enter each lead through the API in its own thread (own connection), all at once."""
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def enter(client, body) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(client.post_json(URL, body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enter, args=pair) for pair in zip(clients, bodies, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_captures_of_one_person_make_one_lead(client_for, staff, company, agent, settings):
    settings.RATE_LIMITS_ENABLED = False
    client_for(staff).post_json(URL, {"name": "Warm-up", "email": "first@example.test"})  # the cursor exists
    bodies = [{"name": "Racer", "email": "racer@example.test", "message": f"try {n}"} for n in range(3)]

    statuses = _enter_at_once([client_for(staff) for _ in bodies], bodies)

    assert sorted(statuses) == [200, 200, 201]
    lead = Lead.objects.get(email="racer@example.test")
    assert (lead.merged_count, lead.assigned_agent_id) == (2, agent.id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_new_leads_go_round_robin_in_turn(client_for, staff, company, agent, agent2, settings):
    settings.RATE_LIMITS_ENABLED = False
    bodies = [{"name": f"Lead {n}", "email": f"lead{n}@example.test"} for n in range(4)]

    statuses = _enter_at_once([client_for(staff) for _ in bodies], bodies)

    assert statuses == [201] * 4
    agents = sorted(str(a) for a in Lead.objects.values_list("assigned_agent_id", flat=True))
    assert agents == sorted([str(agent.id)] * 2 + [str(agent2.id)] * 2)
    assert AssignmentCursor.objects.filter(company=company).count() == 1
