"""A new person's lead outside any transaction (an API request): on PostgreSQL one
statement takes the person's locks, checks for a duplicate, takes the round-robin turn
and writes the lead with its audit row; a duplicate found there writes nothing and is
merged in a transaction. Each written row is what the transactional path writes."""

import pytest
from django.db import connection, transaction

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.core.tests.sessions import prepared_statements
from domus.crm import services
from domus.crm.models import AssignmentCursor, Lead
from domus.organizations.tests.factories import MembershipFactory

URL = "/api/v1/crm/leads/"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS_ENABLED = False


def _agents(company, count: int) -> list:
    users = [
        MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
        for _ in range(count)
    ]
    return sorted(users, key=lambda user: user.id)


def _creation(audit_log, lead_id) -> dict:
    return audit_log.objects.get(resource_type="crm.lead", resource_id=str(lead_id), action="create").changes


def test_new_leads_take_turns_in_one_statement_each(
    client_for, staff, company, audit_log, django_assert_num_queries, monkeypatch
):
    first, second = _agents(company, 2)
    api = client_for(staff)
    one = api.post_json(URL, {"name": "One", "email": "one@example.test"})
    events: list[tuple[str, dict]] = []
    monkeypatch.setattr(services, "publish", lambda event, payload: events.append((event, payload)))

    with django_assert_num_queries(2):  # the caller with their roles; the lead
        two = api.post_json(URL, {"name": "Two", "phone": "0711000222"})
    monkeypatch.undo()
    three = api.post_json(URL, {"name": "Three", "email": "three@example.test", "phone": "0711000333"})

    assert [r.status_code for r in (one, two, three)] == [201, 201, 201]
    assigned = [r.json()["assigned_agent_id"] for r in (one, two, three)]
    assert assigned == [str(first.id), str(second.id), str(first.id)]
    rows = dict(Lead.objects.values_list("name", "assigned_agent_id"))
    assert rows == {"One": first.id, "Two": second.id, "Three": first.id}
    assert _creation(audit_log, one.json()["id"])["assigned_agent"] == {"before": None, "after": str(first.id)}
    assert AssignmentCursor.objects.get(company=company).last_agent_id == first.id
    assert [name for name, _ in events] == [services.LEAD_ASSIGNED, services.LEAD_CHANGED]
    assert events[0][1]["recipient_ids"] == [str(second.id)]


def test_without_agents_the_lead_and_its_audit_row_name_no_agent(client_for, staff, company, audit_log):
    answer = client_for(staff).post_json(URL, {"name": "Solo", "email": "solo@example.test", "message": "Hi"})

    assert (answer.status_code, answer.json()["assigned_agent_id"]) == (201, None)
    assert Lead.objects.get().assigned_agent_id is None
    changes = _creation(audit_log, answer.json()["id"])
    assert "assigned_agent" not in changes
    assert changes["name"] == {"before": None, "after": "Solo"}
    assert not AssignmentCursor.objects.exists()


def test_a_chosen_agent_takes_no_turn(client_for, staff, company, audit_log):
    first, second = _agents(company, 2)

    answer = client_for(staff).post_json(
        URL, {"name": "Chosen", "email": "chosen@example.test", "assigned_agent_id": str(second.id)}
    )

    assert (answer.status_code, answer.json()["assigned_agent_id"]) == (201, str(second.id))
    assert _creation(audit_log, answer.json()["id"])["assigned_agent"]["after"] == str(second.id)
    assert not AssignmentCursor.objects.exists()
    after = client_for(staff).post_json(URL, {"name": "Next", "email": "next@example.test"})
    assert after.json()["assigned_agent_id"] == str(first.id)


def test_a_repeat_writes_nothing_in_one_statement_and_is_merged(client_for, staff, company, audit_log):
    first, second = _agents(company, 2)
    api = client_for(staff)
    api.post_json(URL, {"name": "Wanjiru", "email": "wanjiru@example.test"})

    again = api.post_json(URL, {"name": "Wanjiru", "email": "WANJIRU@example.test", "phone": "0711000444"})
    other = api.post_json(URL, {"name": "Other", "email": "other@example.test"})

    assert (again.status_code, again.json()["merged_count"], again.json()["phone"]) == (200, 1, "+254711000444")
    assert again.json()["assigned_agent_id"] == str(first.id)
    assert other.json()["assigned_agent_id"] == str(second.id)  # the repeat took no turn
    assert Lead.objects.count() == 2
    actions = sorted(audit_log.objects.filter(resource_type="crm.lead").values_list("action", flat=True))
    assert actions == ["create", "create", "merge"]


def test_the_rows_are_those_the_transaction_writes(client_for, staff, company, audit_log):
    """The same capture through the one statement and inside a caller's transaction."""
    agent = _agents(company, 1)[0]
    body = {"message": "Two bedrooms", "source": "manual", "budget_min": "90000.00", "budget_max": "120000.00"}

    fast = client_for(staff).post_json(URL, {"name": "Fast", "email": "fast@example.test", **body}).json()
    with transaction.atomic():
        slow, created = services.lead_create(
            actor=staff, company_id=company.id, name="Slow", email="slow@example.test", **body
        )

    assert created
    rows = {row.pop("name"): row for row in Lead.objects.values()}
    for row in rows.values():
        for key in ("id", "email", "created_at", "updated_at", "scored_at"):
            row.pop(key)
    assert rows["Fast"] == rows["Slow"]
    assert rows["Fast"]["assigned_agent_id"] == agent.id
    fast_changes, slow_changes = _creation(audit_log, fast["id"]), _creation(audit_log, slow.pk)
    assert sorted(fast_changes) == sorted(slow_changes)
    for key in ("id", "name", "email", "created_at", "scored_at"):
        fast_changes.pop(key), slow_changes.pop(key)
    assert fast_changes == slow_changes


def test_a_leads_duplicate_check_and_turn_run_from_one_cached_plan(company):
    """The capture's locks, duplicate check and round-robin turn: after PostgreSQL's
    five planned runs, every capture on the connection runs the generic plan."""
    connection.close()
    for number in range(12):
        services.lead_create(actor=None, company_id=company.pk, name="Ann", email=f"ann{number}@example.com")
    assert Lead.objects.filter(company=company).count() == 12
    statements = [row for row in prepared_statements().values() if "crm_assignmentcursor" in row[0]]
    assert len(statements) == 1
    _, generic, custom = statements[0]
    assert generic + custom == 12
    assert generic >= 6
    assert not AssignmentCursor.objects.filter(company_id=company.pk).exists()  # no agents: no turn
