"""Segments counted live and kept up to date lead by lead; the do-not-contact list
honoured by one-off sends; scoping; the signed tracking links."""

import pytest
from django.apps import apps

from domus.core.events import subscribers_of
from domus.crm.services import lead_update
from domus.crm.tests.factories import ClientFactory, LeadFactory
from domus.marketing import services
from domus.marketing.models import Campaign, DoNotContact, SegmentMember, Touch
from domus.marketing.services.common import tracking_token

Delivery = apps.get_model("communications", "Delivery")
SEGMENTS = "/api/v1/marketing/segments/"


def test_rules_over_leads_and_their_clients_are_counted_live(client_for, staff, company):
    nairobi = ClientFactory(company=company, locations=["Nairobi"], property_types=["apartment"], tags=["vip"])
    mombasa = ClientFactory(company=company, locations=["Mombasa"], tags=[])
    LeadFactory(company=company, client=nairobi, status="qualified", score=80, budget_min=100, budget_max=500)
    LeadFactory(company=company, client=mombasa, status="qualified", score=80, budget_min=100, budget_max=500)
    LeadFactory(company=company, status="new", score=10, source="contact_form")
    LeadFactory(company=company, client=nairobi, status="qualified", score=40, budget_min=900, budget_max=1000)
    api = client_for(staff)

    def count(rules):
        response = api.post_json(f"{SEGMENTS}count/", {"rules": rules})
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count({}) == 4
    assert count({"statuses": ["qualified"], "min_score": 50}) == 2
    assert count({"locations": ["Nairobi"]}) == 2
    assert count({"locations": ["Nairobi"], "budget_min": "200", "budget_max": "600"}) == 1
    assert count({"tags": ["vip"], "property_types": ["apartment"]}) == 2
    assert count({"sources": ["contact_form"]}) == 1
    assert api.post_json(f"{SEGMENTS}count/", {"rules": {"min_score": 90, "max_score": 10}}).status_code == 400
    assert api.post_json(f"{SEGMENTS}count/", {"rules": {"colour": "red"}}).status_code == 400


def test_a_lead_entering_or_leaving_a_segment_is_an_event(staff, company, django_capture_on_commit_callbacks):
    lead = LeadFactory(company=company, status="new")
    segment = services.segment_create(actor=staff, name="Qualified", rules={"statuses": ["qualified"]})
    assert segment.member_count == 0
    assert "domus.marketing.subscribers.lead_changed" in subscribers_of("lead.changed")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        lead_update(actor=staff, lead=lead, status="qualified")
    segment.refresh_from_db()
    assert segment.member_count == 1
    assert SegmentMember.objects.filter(segment=segment, lead=lead).exists()
    assert callbacks  # the lead.changed event, then segment.entered
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(actor=staff, lead=lead, status="proposal")
    segment.refresh_from_db()
    assert segment.member_count == 0
    assert not SegmentMember.objects.filter(segment=segment).exists()


def test_a_rebuild_finds_what_changed_without_events(staff, company):
    segment = services.segment_create(actor=staff, name="Hot", rules={"min_score": 70})
    LeadFactory.create_batch(3, company=company, score=90)  # written behind the services' back
    assert services.segment_rebuild(segment=segment) == {"entered": 3, "left": 0, "members": 3}


def test_entering_a_segment_enrols_in_its_sequences(
    staff, company, reachable_leads, django_capture_on_commit_callbacks
):
    segment = services.segment_create(actor=staff, name="Qualified", rules={"statuses": ["qualified"]})
    sequence = services.sequence_create(
        actor=staff,
        name="Qualified nurture",
        steps=[{"id": "w", "type": "wait", "days": 1}],
        enrol_segment_id=segment.pk,
    )
    lead = reachable_leads(1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(actor=staff, lead=lead, status="qualified")
    assert sequence.enrolments.filter(lead=lead, status="active").exists()


def test_the_do_not_contact_list_stops_one_off_sends_too(
    client_for, staff, company, reachable_leads, django_capture_on_commit_callbacks
):
    lead = reachable_leads(1)[0]
    api = client_for(staff)
    response = api.post_json("/api/v1/marketing/do-not-contact/", {"address": lead.phone, "channel": "sms"})
    assert response.status_code == 201, response.content
    assert (
        api.post_json("/api/v1/marketing/do-not-contact/", {"address": lead.phone, "channel": "sms"}).status_code == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post_json(f"/api/v1/communication/send/{lead.pk}/", {"message": "Hello", "channel": "sms"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["refused"] == 1
    assert "do-not-contact" in Delivery.objects.get().error
    # E-mail is another channel: not blocked by an SMS entry.
    with django_capture_on_commit_callbacks(execute=True):
        mail = api.post_json(f"/api/v1/communication/send/{lead.pk}/", {"message": "Hello", "channel": "email"})
    assert mail.json()["queued"] == 1
    # A global entry for the lead blocks every channel.
    services.dnc_add(actor=staff, lead_id=lead.pk)
    with django_capture_on_commit_callbacks(execute=True):
        mail = api.post_json(f"/api/v1/communication/send/{lead.pk}/", {"message": "Hello", "channel": "email"})
    assert mail.json()["refused"] == 1


def test_the_opt_out_link_of_an_email_puts_the_address_on_the_list(api_client, staff, company, reachable_leads):
    lead = reachable_leads(1)[0]
    campaign = Campaign.objects.create(company=company, name="c", channels=[], status="running")
    touch = Touch.objects.create(company=company, lead=lead, campaign=campaign, channel="email", due_at=lead.created_at)
    click = api_client.get(f"/api/v1/marketing/t/{tracking_token(touch.pk, 'https://example.test/x')}/click/")
    assert click.status_code == 302
    assert click["Location"] == "https://example.test/x"
    touch.refresh_from_db()
    assert touch.clicked_at is not None
    assert touch.opened_at is not None
    assert api_client.get(f"/api/v1/marketing/t/{tracking_token(touch.pk)}x/click/").status_code == 404
    response = api_client.get(f"/api/v1/marketing/t/{tracking_token(touch.pk)}/unsubscribe/")
    assert response.status_code == 200
    assert DoNotContact.objects.filter(company=company, channel="email", address=lead.email).exists()


@pytest.mark.parametrize(
    "path",
    ["segments", "campaigns", "sequences", "do-not-contact", "social/posts", "social/rules"],
)
def test_nobody_sees_another_companys_marketing(client_for, staff, other_staff, company, path):
    segment = services.segment_create(actor=staff, name="Mine", rules={})
    campaign = services.campaign_create(actor=staff, name="Mine", channels=[{"channel": "sms", "body": "Hi"}])
    sequence = services.sequence_create(actor=staff, name="Mine", steps=[{"id": "e", "type": "end"}])
    entry, _ = services.dnc_add(actor=staff, address="someone@example.test")
    post = services.social_post_create(actor=staff, network="facebook", text="Hello")
    ids = {"segments": segment.pk, "campaigns": campaign.pk, "sequences": sequence.pk, "do-not-contact": entry.pk}
    ids["social/posts"] = post.pk
    ids["social/rules"] = services.social_rule_create(actor=staff, network="facebook", trigger="new_listing").pk
    mine = client_for(staff).get(f"/api/v1/marketing/{path}/").json()
    theirs = client_for(other_staff).get(f"/api/v1/marketing/{path}/").json()
    assert mine["count"] == 1
    assert theirs["count"] == 0
    if path != "do-not-contact":
        assert client_for(other_staff).get(f"/api/v1/marketing/{path}/{ids[path]}/").status_code == 404


def test_an_agent_reads_but_does_not_run_marketing(client_for, staff, agent, reachable_leads):
    lead = reachable_leads(1)[0]
    campaign = services.campaign_create(
        actor=staff, name="Mine", lead_ids=[lead.pk], channels=[{"channel": "sms", "body": "Hi"}]
    )
    api = client_for(agent)
    assert api.get(f"/api/v1/marketing/campaigns/{campaign.pk}/").status_code == 200
    assert api.post_json(f"/api/v1/marketing/campaigns/{campaign.pk}/launch/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert not Touch.objects.exists()


def test_campaign_list_query_count_does_not_grow(client_for, staff, company, django_assert_num_queries):
    api = client_for(staff)
    segment = services.segment_create(actor=staff, name="All", rules={})

    def make(n):
        for i in range(n):
            services.campaign_create(
                actor=staff, name=f"c{i}", segment_ids=[segment.pk], channels=[{"channel": "sms", "body": "Hi"}]
            )

    make(1)
    api.get("/api/v1/marketing/campaigns/")  # warm the caches of authentication
    with django_assert_num_queries(4):
        response = api.get("/api/v1/marketing/campaigns/")
    make(3)
    with django_assert_num_queries(4):
        response = api.get("/api/v1/marketing/campaigns/")
    assert response.status_code == 200
    assert response.json()["count"] == 4
    assert response.json()["results"][0]["segment_ids"] == [str(segment.pk)]
