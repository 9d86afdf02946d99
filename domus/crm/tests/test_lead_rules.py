"""Dedupe by phone alone (the public form and the lead API) and round-robin skipping inactive agents."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.models import AssignmentCursor, Lead, LeadActivity
from domus.organizations.tests.factories import MembershipFactory

CONTACT = "/api/marketing/contact/"
URL = "/api/v1/crm/leads/"


def _lead_of(response) -> Lead:
    return LeadActivity.objects.get(pk=response.json()["reference"]).lead


# Dedupe by phone ---------------------------------------------------------------------------


def test_contact_form_merges_the_same_phone_written_differently_with_another_or_no_email(api_client, company):
    first = api_client.post_json(
        CONTACT,
        {
            "name": "Achieng",
            "email": "achieng@example.test",
            "phone": "+254 711 000 111",
            "company_id": str(company.id),
        },
    )
    other_email = api_client.post_json(
        CONTACT,
        {
            "name": "Achieng O.",
            "email": "achieng.work@example.test",
            "phone": "+254711000111",
            "company_id": str(company.id),
            "message": "Still looking",
        },
    )
    no_email = api_client.post_json(
        CONTACT, {"name": "Achieng", "phone": "+254 (711) 000-111", "company_id": str(company.id)}
    )
    local_form = api_client.post_json(
        CONTACT, {"name": "Achieng", "phone": "0711 000111", "company_id": str(company.id)}
    )

    assert first.status_code == other_email.status_code == no_email.status_code == local_form.status_code == 201
    lead = Lead.objects.get()
    assert _lead_of(other_email) == _lead_of(no_email) == _lead_of(local_form) == lead
    # The newer e-mail wins (a capture without one keeps it); the name only fills a gap.
    assert (lead.name, lead.email, lead.phone, lead.merged_count, lead.activity_count) == (
        "Achieng",
        "achieng.work@example.test",
        "+254711000111",
        3,
        4,
    )
    assert lead.message == "Still looking"
    assert LeadActivity.objects.filter(lead=lead).count() == 4


def test_contact_form_phone_only_lead_gets_the_email_of_a_later_capture(api_client, company):
    api_client.post_json(CONTACT, {"name": "Kiprop", "phone": "0722 333 444", "company_id": str(company.id)})
    api_client.post_json(
        CONTACT,
        {"name": "Kiprop", "email": "Kiprop@Example.test", "phone": "0722-333-444", "company_id": str(company.id)},
    )

    lead = Lead.objects.get()
    assert (lead.email, lead.phone, lead.merged_count) == ("kiprop@example.test", "+254722333444", 1)


def test_contact_form_does_not_merge_a_different_phone(api_client, company):
    api_client.post_json(
        CONTACT, {"name": "Mwangi", "email": "m1@example.test", "phone": "+254711000111", "company_id": str(company.id)}
    )
    api_client.post_json(
        CONTACT, {"name": "Mwangi", "email": "m2@example.test", "phone": "+254711000112", "company_id": str(company.id)}
    )
    api_client.post_json(CONTACT, {"name": "Mwangi", "phone": "+254711000113", "company_id": str(company.id)})

    assert sorted(Lead.objects.values_list("phone", "merged_count")) == [
        ("+254711000111", 0),
        ("+254711000112", 0),
        ("+254711000113", 0),
    ]


def test_lead_api_merges_the_same_phone_with_another_or_no_email(client_for, staff, company):
    api = client_for(staff)
    created = api.post_json(URL, {"name": "Njeri", "email": "njeri@example.test", "phone": "+254 733 111 222"})
    other_email = api.post_json(URL, {"name": "Njeri W", "email": "njeri.w@example.test", "phone": "+254-733-111-222"})
    no_email = api.post_json(URL, {"name": "Njeri", "phone": "+254733111222"})

    assert created.status_code == 201, created.content
    assert other_email.status_code == no_email.status_code == 200, (other_email.content, no_email.content)
    assert created.json()["id"] == other_email.json()["id"] == no_email.json()["id"]
    body = no_email.json()
    assert (body["email"], body["phone"], body["merged_count"]) == ("njeri.w@example.test", "+254733111222", 2)
    assert Lead.objects.filter(company=company).count() == 1


def test_lead_api_does_not_merge_a_different_phone(client_for, staff, company):
    api = client_for(staff)
    first = api.post_json(URL, {"name": "Omondi", "phone": "+254733111222"})
    second = api.post_json(URL, {"name": "Omondi", "phone": "+254733111223"})
    other_email = api.post_json(URL, {"name": "Omondi", "email": "o2@example.test", "phone": "+254733111224"})

    assert first.status_code == second.status_code == other_email.status_code == 201
    assert len({first.json()["id"], second.json()["id"], other_email.json()["id"]}) == 3
    assert Lead.objects.filter(company=company, merged_count=0).count() == 3


# Round-robin ----------------------------------------------------------------------------------


def _deactivate(membership, how: str) -> None:
    if how == "user":
        membership.user.is_active = False
        membership.user.save(update_fields=["is_active"])
    else:
        membership.is_active = False
        membership.save(update_fields=["is_active"])


@pytest.fixture
def inactive_agent_membership(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT))


@pytest.mark.parametrize("how", ["user", "membership"])
def test_round_robin_alternates_between_the_active_agents_only(
    api_client, company, agent, agent2, inactive_agent_membership, how
):
    _deactivate(inactive_agent_membership, how)

    assigned = []
    for n in range(4):
        response = api_client.post_json(
            CONTACT, {"name": f"R{n}", "email": f"r{n}@example.test", "company_id": str(company.id)}
        )
        assert response.status_code == 201
        assigned.append(_lead_of(response).assigned_agent_id)

    first, second = sorted([agent.id, agent2.id])
    assert assigned == [first, second, first, second]
    assert not Lead.objects.filter(assigned_agent=inactive_agent_membership.user).exists()


def test_a_new_person_takes_a_turn_and_a_repeat_capture_takes_one_only_for_an_unassigned_lead(
    client_for, staff, company
):
    """No agent yet: a new lead stays unassigned and no cursor is made. Once the company
    has agents, a new person takes the next turn, and a repeat capture of the unassigned
    person takes one too (an assigned person's repeat never does)."""
    api = client_for(staff)
    early = api.post_json(URL, {"name": "Early", "email": "early@example.test"})
    assert (early.status_code, early.json()["assigned_agent_id"]) == (201, None)
    assert not AssignmentCursor.objects.filter(company=company).exists()

    first, second = sorted(
        (MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user for _ in "ab"),
        key=lambda user: user.id,
    )
    new = api.post_json(URL, {"name": "New", "phone": "+254700000001"})
    again = api.post_json(URL, {"name": "Early", "email": "early@example.test", "message": "Still keen"})
    new_again = api.post_json(URL, {"name": "New", "phone": "+254700000001", "message": "Me again"})
    after = api.post_json(URL, {"name": "After", "email": "after@example.test"})

    assert [r.status_code for r in (new, again, new_again, after)] == [201, 200, 200, 201]
    assert new.json()["assigned_agent_id"] == str(first.id)
    assert (again.json()["id"], again.json()["assigned_agent_id"]) == (early.json()["id"], str(second.id))
    assert new_again.json()["assigned_agent_id"] == str(first.id)  # kept, no turn taken
    assert after.json()["assigned_agent_id"] == str(first.id)
    assert AssignmentCursor.objects.get(company=company).last_agent_id == first.id


@pytest.mark.parametrize("how", ["user", "membership"])
def test_round_robin_moves_on_when_the_last_assigned_agent_was_deactivated(
    client_for, staff, company, agent, agent2, inactive_agent_membership, how
):
    inactive = inactive_agent_membership.user
    AssignmentCursor.objects.create(company=company, last_agent=inactive)
    _deactivate(inactive_agent_membership, how)

    api = client_for(staff)
    assigned = []
    for n in range(4):
        response = api.post_json(URL, {"name": f"S{n}", "phone": f"+25474000000{n}"})
        assert response.status_code == 201, response.content
        assigned.append(response.json()["assigned_agent_id"])

    active = sorted([str(agent.id), str(agent2.id)])
    assert str(inactive.id) not in assigned
    assert sorted(assigned[:2]) == active
    assert assigned[2:] == assigned[:2]  # strictly alternating


# The new lead and its audit row in one statement ------------------------------------------


def test_a_new_lead_and_its_audit_row_are_the_rows_save_and_audit_create_write(
    company, staff, agent, listing, audit_log, django_assert_num_queries
):
    """``insert_audited`` (the lead creation's one statement on PostgreSQL) writes the same
    lead row and the same audit row as ``save()`` then ``audit_create``."""
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from domus.audit.services import audit_create, insert_audited
    from domus.core import context

    now = timezone.now()

    def lead(name: str) -> Lead:
        return Lead(
            company=company, name=name, email="twin@example.test", phone="+254711000222", listing=listing,
            assigned_agent=agent, budget_min=Decimal("90000.00"), score=42, scored_at=now, created_at=now,
            score_breakdown=[{"factor": "x", "points": 3}],
        )  # fmt: skip

    saved, inserted = lead("Saved"), lead("Inserted")
    token = context.activate(context.RequestContext(request_id="req-7", ip="198.51.100.7", user_agent="ua/7"))
    try:
        saved.save()
        by_save = audit_create(actor=staff, instance=saved, company_id=company.id)
        with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
            entry = insert_audited(actor=staff, instance=inserted, company_id=company.id)
    finally:
        context.reset(token)

    assert (inserted._state.adding, inserted._state.db) == (False, "default")
    rows = {row.pop("id"): row for row in Lead.objects.filter(pk__in=[saved.pk, inserted.pk]).values()}
    first, second = rows[saved.pk], rows[inserted.pk]
    assert second.pop("updated_at") >= first.pop("updated_at")
    assert (first.pop("name"), second.pop("name")) == ("Saved", "Inserted")
    assert first == second
    audits = {row.resource_id: row for row in audit_log.objects.filter(pk__in=[by_save.pk, entry.pk])}
    by_insert = audits[str(inserted.pk)]
    assert (by_insert.pk, by_insert.action) == (entry.pk, "create")
    expected = {k: v for k, v in audits[str(saved.pk)].changes.items() if k not in {"id", "name"}}
    assert {k: v for k, v in by_insert.changes.items() if k not in {"id", "name"}} == expected
    assert by_insert.changes["id"]["after"] == str(inserted.pk)
    keep = ("actor_id", "actor_repr", "company_id", "ip_address", "user_agent", "request_id", "resource_type")
    assert [getattr(by_insert, k) for k in keep] == [getattr(audits[str(saved.pk)], k) for k in keep]


def test_rows_inserted_together_are_new_rows_with_plain_values(company):
    from django.db.models import Value

    from domus.core.compiled import RowInserts, insert_rows

    existing = Lead.objects.create(company=company, name="Already")
    with pytest.raises(ValueError, match="new rows"):
        RowInserts().add(existing)
    with pytest.raises(TypeError, match="plain values"):
        RowInserts().add(Lead(company=company, name=Value("Expression")))
    insert_rows(Lead(company=company, name="One"), Lead(company=company, name="Two"))
    assert sorted(Lead.objects.exclude(pk=existing.pk).values_list("name", flat=True)) == ["One", "Two"]
