from datetime import timedelta

import pytest
from django.utils import timezone

from domus.crm.models import Lead, LeadActivity, LeadSource
from domus.crm.tests.factories import LeadFactory

CONTACT = "/api/marketing/contact/"
SCHEDULE = "/api/marketing/schedule-call/"


def test_contact_form_creates_a_scored_lead_assigned_to_an_agent(api_client, listing, agent, agent2, audit_log):
    response = api_client.post_json(
        CONTACT,
        {
            "name": "Wanjiru",
            "email": "Wanjiru@Example.test",
            "phone": "+254 711 000-111",
            "message": "Is it free?",
            "listing_id": str(listing.id),
            "budget_min": "90000",
            "budget_max": "120000",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"detail", "reference"}
    lead = LeadActivity.objects.get(pk=body["reference"], kind="form").lead
    assert (lead.company_id, lead.source, lead.email, lead.phone) == (
        listing.company_id,
        LeadSource.LISTING_INQUIRY,
        "wanjiru@example.test",
        "+254711000111",
    )
    assert lead.assigned_agent_id in {agent.id, agent2.id}
    assert lead.activity_count == 1
    rules = {item["rule"]: item["points"] for item in lead.score_breakdown}
    assert rules == {"budget_fit": 25, "engagement": 5, "recency": 20, "source_quality": 13, "completeness": 15}
    assert lead.score == 78
    assert audit_log.objects.filter(resource_type="crm.lead", resource_id=str(lead.id), action="create").exists()


def test_second_capture_of_the_same_person_merges_into_one_lead(api_client, company, agent):
    first = api_client.post_json(CONTACT, {"name": "Otieno", "email": "o@example.test", "company_id": str(company.id)})
    second = api_client.post_json(
        CONTACT,
        {
            "name": "Otieno O.",
            "phone": "0700 000 001",
            "email": "O@example.test",
            "company_id": str(company.id),
            "message": "Call me",
        },
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] != second.json()["reference"]  # two submissions, nothing leaked
    lead = Lead.objects.get()
    assert (lead.merged_count, lead.phone, lead.activity_count) == (1, "+254700000001", 2)
    assert LeadActivity.objects.filter(lead=lead).count() == 2


def test_duplicates_are_only_merged_within_one_company(api_client, company, other_company):
    LeadFactory(company=other_company, email="same@example.test")

    api_client.post_json(CONTACT, {"name": "Same", "email": "same@example.test", "company_id": str(company.id)})

    assert Lead.objects.filter(email="same@example.test").count() == 2


def test_round_robin_takes_the_agents_in_turn(api_client, company, agent, agent2):
    assigned = []
    for n in range(4):
        response = api_client.post_json(
            CONTACT, {"name": f"P{n}", "email": f"p{n}@example.test", "company_id": str(company.id)}
        )
        assigned.append(LeadActivity.objects.get(pk=response.json()["reference"]).lead.assigned_agent_id)

    first, second = sorted([agent.id, agent2.id])
    assert assigned == [first, second, first, second]


def test_honeypot_answers_like_success_and_stores_nothing(api_client, company):
    response = api_client.post_json(
        CONTACT, {"name": "Bot", "email": "bot@example.test", "company_id": str(company.id), "website": "http://spam"}
    )

    assert response.status_code == 201
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No contact"}, None),
        ({"name": "X", "email": "not-an-email", "company_id": None}, "email"),
        ({"name": "", "email": "a@example.test"}, "name"),
    ],
)
def test_contact_form_rejects_bad_input(api_client, company, payload, field):
    payload = {"company_id": str(company.id), **payload}
    if payload.get("company_id") is None:
        payload["company_id"] = str(company.id)

    response = api_client.post_json(CONTACT, payload)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    if field:
        assert field in str(response.json()["errors"])
    assert not Lead.objects.exists()


def test_contact_form_rejects_unknown_company_and_unpublished_listing(api_client, listing):
    listing.is_published = False
    listing.save()

    unknown = api_client.post_json(CONTACT, {"name": "A", "email": "a@example.test", "company_id": str(listing.id)})
    hidden = api_client.post_json(CONTACT, {"name": "A", "email": "a@example.test", "listing_id": str(listing.id)})

    assert unknown.status_code == hidden.status_code == 404
    assert not Lead.objects.exists()


def test_schedule_call_stores_the_time_and_needs_a_future_one(api_client, company):
    when = timezone.now() + timedelta(days=1)
    ok = api_client.post_json(
        SCHEDULE,
        {"name": "Kamau", "phone": "+254722000000", "preferred_at": when.isoformat(), "company_id": str(company.id)},
    )
    past = api_client.post_json(
        SCHEDULE,
        {
            "name": "Kamau",
            "phone": "+254722000001",
            "preferred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "company_id": str(company.id),
        },
    )

    assert ok.status_code == 201
    assert past.status_code == 400
    lead = Lead.objects.get()
    assert (lead.source, lead.preferred_call_at) == (LeadSource.SCHEDULE_CALL, when)


def test_capture_scopes_are_throttled(api_client, company, settings, rate_limits):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(contact="2/m", schedule_call="1/m")
    payload = {"name": "A", "email": "a@example.test", "company_id": str(company.id)}

    codes = [api_client.post_json(CONTACT, payload).status_code for _ in range(3)]
    call = {
        "name": "A",
        "email": "a@example.test",
        "phone": "+254700000000",
        "company_id": str(company.id),
        "preferred_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }
    call_codes = [api_client.post_json(SCHEDULE, call).status_code for _ in range(2)]

    assert codes == [201, 201, 429]
    assert call_codes == [201, 429]
    assert Lead.objects.get().merged_count == 2


def test_canonical_capture_path_works_too(api_client, company):
    response = api_client.post_json(
        "/api/v1/crm/contact/", {"name": "A", "email": "a@example.test", "company_id": str(company.id)}
    )

    assert response.status_code == 201


def test_a_capture_tells_the_assigned_agent(api_client, company, agent, django_capture_on_commit_callbacks):
    from domus.core.events import subscribe
    from domus.crm.services import LEAD_CAPTURED

    subscribe(LEAD_CAPTURED)(_remember)
    _received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post_json(
            CONTACT, {"name": "A", "email": "a@example.test", "company_id": str(company.id)}
        )

    seen = [e for e in _received if e["event"] == LEAD_CAPTURED]
    assert seen == [
        {
            "event": LEAD_CAPTURED,
            "id": str(LeadActivity.objects.get(pk=response.json()["reference"]).lead_id),
            "company_id": str(company.id),
            "actor_id": None,
            "recipient_ids": [str(agent.id)],
            "name": "A",
            "status": "new",
        }
    ]


_received: list[dict] = []


def _remember(*, event: str, payload: dict) -> None:
    _received.append({"event": event, **payload})


def test_a_capture_matched_by_phone_keeps_the_newer_email_and_message(api_client, company, agent, audit_log):
    first = {"name": "Achieng", "email": "old@example.test", "phone": "0700 000 002", "message": "Hello"}
    newer = {"name": "Achieng", "email": "new@example.test", "phone": "+254700000002", "message": "New address"}
    later = {"name": "Achieng", "email": "New@Example.test", "message": "Still interested"}

    responses = [
        api_client.post_json(CONTACT, {**data, "company_id": str(company.id)}) for data in (first, newer, later)
    ]

    assert [r.status_code for r in responses] == [201, 201, 201]
    lead = Lead.objects.get()
    assert (lead.email, lead.phone, lead.merged_count) == ("new@example.test", "+254700000002", 2)
    assert lead.message.endswith("New address\n\nStill interested")
    merge = audit_log.objects.filter(resource_id=str(lead.id), action="merge").order_by("created_at").first()
    assert merge.changes["email"] == {"before": "old@example.test", "after": "new@example.test"}
