from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from domus.core.events import subscribe
from domus.crm.models import Lead, LeadStatus
from domus.crm.services import LEAD_ASSIGNED
from domus.crm.tests.factories import ClientFactory, LeadFactory

URL = "/api/v1/crm/leads/"
received: list[dict] = []


def remember(*, event: str, payload: dict) -> None:
    received.append({"event": event, **payload})


@pytest.fixture
def lead_events() -> list[dict]:
    subscribe(LEAD_ASSIGNED)(remember)
    received.clear()
    return received


def test_staff_enter_a_lead_and_a_duplicate_is_merged(client_for, staff, company, agent, listing):
    api = client_for(staff)
    created = api.post_json(
        URL, {"name": "Peter", "email": "peter@example.test", "listing_id": str(listing.id), "source": "campaign"}
    )
    merged = api.post_json(URL, {"name": "Peter K", "email": "PETER@example.test", "phone": "0711000000"})

    assert created.status_code == 201, created.content
    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == created.json()["id"]
    lead = Lead.objects.get()
    assert (lead.company_id, lead.assigned_agent_id, lead.phone, lead.merged_count) == (
        company.id,
        agent.id,
        "+254711000000",
        1,
    )


def test_new_assignment_publishes_lead_assigned_to_the_agent(
    client_for, staff, company, agent, lead_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post_json(URL, {"name": "Z", "email": "z@example.test"})

    assert lead_events == [
        {
            "event": LEAD_ASSIGNED,
            "id": response.json()["id"],
            "company_id": str(company.id),
            "actor_id": str(staff.id),
            "recipient_ids": [str(agent.id)],
            "name": "Z",
            "status": "new",
        }
    ]


def test_a_lead_without_agents_stays_unassigned(client_for, staff):
    response = client_for(staff).post_json(URL, {"name": "Nobody", "phone": "+254700000009"})

    assert response.status_code == 201
    assert response.json()["assigned_agent_id"] is None


def test_status_moves_record_the_furthest_stage_and_lost_needs_a_reason(client_for, staff, company, audit_log):
    lead = LeadFactory(company=company)
    api = client_for(staff)

    assert api.patch_json(f"{URL}{lead.id}/", {"status": "proposal"}).status_code == 200
    refused = api.patch_json(f"{URL}{lead.id}/", {"status": "lost"})
    lost = api.patch_json(f"{URL}{lead.id}/", {"status": "lost", "lost_reason": "Bought elsewhere"})

    assert refused.status_code == 400
    assert "lost_reason" in refused.json()["errors"]
    assert lost.status_code == 200
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason, lead.stage_reached) == (LeadStatus.LOST, "Bought elsewhere", 3)
    assert audit_log.objects.filter(resource_type="crm.lead", resource_id=str(lead.id), action="update").count() == 2


def test_activity_raises_engagement_and_the_breakdown_explains_the_score(client_for, agent, company):
    lead = LeadFactory(company=company, assigned_agent=agent, message="")
    api = client_for(agent)
    assert api.post_json(f"{URL}{lead.id}/activities/", {"kind": "call", "note": "call"}).status_code == 201
    before = api.get(f"{URL}{lead.id}/").json()

    for kind in ("email", "meeting"):
        assert api.post_json(f"{URL}{lead.id}/activities/", {"kind": kind, "note": kind}).status_code == 201
    after = api.get(f"{URL}{lead.id}/").json()

    engagement = {rule["rule"]: rule for rule in after["score_breakdown"]}["engagement"]
    assert engagement == {"rule": "engagement", "points": 15, "max": 25, "reason": "3 recorded activities."}
    assert after["score"] == sum(rule["points"] for rule in after["score_breakdown"])
    assert after["score"] == before["score"] + 10
    assert [a["kind"] for a in api.get(f"{URL}{lead.id}/activities/").json()["results"]] == ["meeting", "email", "call"]


def test_budget_fit_follows_the_linked_listing(client_for, staff, company, listing):
    lead = LeadFactory(company=company, budget_min=Decimal("50000"), budget_max=Decimal("60000"))
    api = client_for(staff)

    far = api.patch_json(f"{URL}{lead.id}/", {"listing_id": str(listing.id)}).json()
    near = api.patch_json(f"{URL}{lead.id}/", {"budget_max": "95000"}).json()
    inside = api.patch_json(f"{URL}{lead.id}/", {"budget_max": "150000"}).json()

    def fit(body) -> int:
        return {rule["rule"]: rule["points"] for rule in body["score_breakdown"]}["budget_fit"]

    assert (fit(far), fit(near), fit(inside)) == (0, 15, 25)


def test_agents_see_and_change_only_their_leads(client_for, company, agent, agent2):
    mine = LeadFactory(company=company, assigned_agent=agent)
    theirs = LeadFactory(company=company, assigned_agent=agent2, name="Untouched")
    api = client_for(agent)

    listed = {row["id"] for row in api.get(URL).json()["results"]}
    response = api.patch_json(f"{URL}{theirs.id}/", {"name": "Changed"})

    assert listed == {str(mine.id)}
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Untouched"


def test_other_companies_leads_are_invisible(client_for, other_staff, company):
    lead = LeadFactory(company=company)

    assert client_for(other_staff).get(f"{URL}{lead.id}/").status_code == 404
    assert client_for(other_staff).get(URL).json()["count"] == 0


def test_lead_list_orders_by_score_filters_and_pins_queries(client_for, staff, company, django_assert_num_queries):
    for score in (10, 80, 45):
        LeadFactory(company=company, score=score, status="qualified" if score > 20 else "new")
    LeadFactory(score=99)  # another company
    api = client_for(staff)

    with django_assert_num_queries(3):
        response = api.get(URL, {"ordering": "-score", "status": "qualified"})

    assert [row["score"] for row in response.json()["results"]] == [80, 45]
    assert [row["score"] for row in api.get(URL, {"min_score": 40, "ordering": "score"}).json()["results"]] == [45, 80]
    assert api.get(URL, {"ordering": "password"}).status_code == 400


def test_lead_links_must_belong_to_the_company(client_for, staff, company, other_company, other_staff):
    lead = LeadFactory(company=company)
    foreign_client = ClientFactory(company=other_company)
    api = client_for(staff)

    bad_client = api.patch_json(f"{URL}{lead.id}/", {"client_id": str(foreign_client.id)})
    bad_agent = api.patch_json(f"{URL}{lead.id}/", {"assigned_agent_id": str(other_staff.id)})

    assert bad_client.status_code == bad_agent.status_code == 404
    lead.refresh_from_db()
    assert (lead.client_id, lead.assigned_agent_id) == (None, None)


def test_recency_decays(company):
    from domus.crm.services import lead_rescore

    lead = LeadFactory(company=company, created_at=timezone.now() - timedelta(days=40))

    lead = lead_rescore(lead=lead)

    assert {rule["rule"]: rule["points"] for rule in lead.score_breakdown}["recency"] == 0


def test_a_listing_price_change_rescores_its_leads(
    client_for, staff, company, listing, django_capture_on_commit_callbacks
):
    lead = LeadFactory(company=company, listing=listing, budget_min=Decimal("90000"), budget_max=Decimal("110000"))
    api = client_for(staff)
    api.patch_json(f"{URL}{lead.id}/", {"name": "Rescored"})

    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch_json(f"/api/v1/properties/{listing.id}/", {"price": "500000.00"})

    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert {rule["rule"]: rule["points"] for rule in lead.score_breakdown}["budget_fit"] == 0


def test_the_nightly_job_rescores_only_leads_whose_recency_decayed(company):
    from domus.crm.services import lead_rescore
    from domus.crm.tasks import leads_rescore

    now = timezone.now()
    recent = lead_rescore(lead=LeadFactory(company=company))
    Lead.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=3), scored_at=now - timedelta(days=2))
    ancient = LeadFactory(company=company, created_at=now - timedelta(days=90), scored_at=now - timedelta(days=80))
    fresh = lead_rescore(lead=LeadFactory(company=company))

    assert leads_rescore.delay().get() == 1

    recent.refresh_from_db()
    ancient.refresh_from_db()
    assert {rule["rule"]: rule["points"] for rule in recent.score_breakdown}["recency"] == 14
    assert ancient.scored_at < now - timedelta(days=1)
    assert fresh.scored_at is not None


def test_a_lost_lead_who_writes_again_is_reopened(api_client, company):
    lead = LeadFactory(
        company=company, email="back@example.test", status="lost", lost_reason="Went quiet", stage_reached=2
    )

    api_client.post_json(
        "/api/marketing/contact/", {"name": "Back", "email": "back@example.test", "company_id": str(company.id)}
    )

    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason, lead.stage_reached, lead.merged_count) == ("new", "", 2, 1)


def test_entering_a_lead_pins_its_statements(client_for, staff, company, agent, agent2, django_assert_num_queries):
    api = client_for(staff)
    first = api.post_json(URL, {"name": "First", "email": "first@example.test", "company_id": str(company.id)})

    # The caller with their company roles (the permission and the company check both
    # read them); the duplicate check and the cursor's move answering the next agent (on
    # PostgreSQL one statement with the person's advisory locks; SQLite writes one
    # transaction at a time by itself: two), the lead with its audit row (one statement
    # on PostgreSQL, two on SQLite); the transaction's two.
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 7):
        second = api.post_json(URL, {"name": "Second", "email": "second@example.test", "company_id": str(company.id)})
    # A duplicate: the merged lead is locked and read instead of the cursor's move, then
    # saved, and its audit row written.
    with django_assert_num_queries(7):
        merged = api.post_json(URL, {"name": "Second", "phone": "0711000000", "email": "second@example.test"})

    assert (first.status_code, second.status_code, merged.status_code) == (201, 201, 200)
    assert {first.json()["assigned_agent_id"], second.json()["assigned_agent_id"]} == {str(agent.id), str(agent2.id)}
    assert merged.json()["id"] == second.json()["id"]
