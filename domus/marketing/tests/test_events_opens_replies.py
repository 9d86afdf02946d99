"""Social posts made by rule on listing events (once per event), the open pixel of
campaign e-mails (counted once, machines noted), and inbound replies recorded on the
message and the lead, ending the sequences that exit on a reply."""

import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from domus.marketing import subscribers
from domus.marketing.models import Campaign, Enrolment, SocialPost, Touch
from domus.properties.services import listing_update
from domus.properties.tests.factories import ListingFactory

Delivery = apps.get_model("communications", "Delivery")
LeadActivity = apps.get_model("crm", "LeadActivity")
RULES = "/api/v1/marketing/social/rules/"
CAMPAIGNS = "/api/v1/marketing/campaigns/"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko)"


# Social posts on events -------------------------------------------------------------------


def test_a_new_listing_and_a_price_drop_post_by_rule_once_per_event(
    client_for, staff, other_staff, company, agent, django_capture_on_commit_callbacks
):
    api = client_for(staff)
    new = api.post_json(RULES, {"network": "facebook", "trigger": "new_listing"})
    assert new.status_code == 201, new.content
    drop = api.post_json(
        RULES, {"network": "instagram", "trigger": "price_drop", "text": "Now {{ listing.price }}: {{ listing.title }}"}
    )
    assert drop.status_code == 201, drop.content
    assert (
        api.post_json(RULES, {"network": "facebook", "trigger": "price_drop", "text": "{{ lead.name }}"}).status_code
        == 400
    )
    client_for(other_staff).post_json(RULES, {"network": "facebook", "trigger": "new_listing"})

    listing = ListingFactory(
        company=company, agent=agent, owner=agent, title="Garden flat", price="250000.00", is_published=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        listing_update(actor=staff, listing=listing, status="available", is_published=True)
    posts = SocialPost.objects.filter(listing=listing)
    assert posts.count() == 1  # the other company's rule did not post
    post = posts.get()
    assert (post.network, post.status, post.provider, str(post.rule_id)) == (
        "facebook",
        "published",
        "outbox",
        _id(new),
    )
    assert post.text.startswith("Garden flat")
    # The event delivered again (a retry of the subscriber): no second post.
    listing.refresh_from_db()
    subscribers.listing_listed(
        event="listing.listed", payload={"id": str(listing.pk), "listed_at": listing.listed_at.isoformat()}
    )
    assert posts.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        listing_update(actor=staff, listing=listing, price="300000.00")  # a rise: nothing
    assert posts.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        listing_update(actor=staff, listing=listing, price="240000.00")
    dropped = posts.get(rule_id=_id(drop))
    assert dropped.text == "Now 240000.00 KES: Garden flat"
    assert dropped.status == "published"
    payload = {
        "id": str(listing.pk),
        "old_price": "300000.00",
        "new_price": "240000.00",
        "old_currency": "KES",
        "currency": "KES",
    }
    subscribers.listing_price_changed(event="listing.price_changed", payload=payload)
    assert posts.count() == 2

    # Rules are scoped to their company.
    assert [r["id"] for r in client_for(other_staff).get(RULES).json()["results"]] != [_id(new)]
    assert client_for(other_staff).get(f"{RULES}{_id(new)}/").status_code == 404
    assert client_for(other_staff).delete(f"{RULES}{_id(new)}/").status_code == 404
    assert api.delete(f"{RULES}{_id(new)}/").status_code == 204


def _id(response) -> str:
    return response.json()["id"]


# Open tracking ------------------------------------------------------------------------------


@pytest.fixture
def mailed(client_for, staff, reachable_leads, django_capture_on_commit_callbacks):
    """A campaign e-mail handed to three leads; answers their touches."""
    leads = reachable_leads(3)
    api = client_for(staff)
    campaign = api.post_json(
        CAMPAIGNS,
        {
            "name": "Open house",
            "lead_ids": [str(lead.pk) for lead in leads],
            "channels": [{"channel": "email", "subject": "Hi", "body": "See https://example.test/house"}],
        },
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    touches = list(Touch.objects.filter(campaign_id=campaign["id"]).order_by("lead_id"))
    assert all(t.status == "queued" for t in touches)
    return campaign, touches


def _pixel(touch: Touch) -> str:
    html = Delivery.objects.get(pk=touch.delivery_id).template["html"]
    return re.search(r'<img src="https?://[^/]+(/api/v1/marketing/t/[^"]+/open/)"', html).group(1)


def test_the_open_pixel_counts_a_persons_open_once_and_notes_machines(mailed, client_for, staff, settings):
    campaign, touches = mailed
    settings.MARKETING_OPEN_MIN_SECONDS = 0
    person, scanner, prefetched = touches
    delivery = Delivery.objects.get(pk=person.delivery_id)
    assert "https://example.test/house" not in delivery.body  # the link is tracked, in text and HTML
    assert "/click/" in delivery.template["html"]
    web = Client()
    first = web.get(_pixel(person), HTTP_USER_AGENT=BROWSER)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/gif"
    assert "no-store" in first["Cache-Control"]
    person.refresh_from_db()
    opened = person.opened_at
    assert opened is not None
    assert not person.open_suspect
    web.get(_pixel(person), HTTP_USER_AGENT=BROWSER)
    person.refresh_from_db()
    assert person.opened_at == opened  # counted once

    web.get(_pixel(scanner), HTTP_USER_AGENT="Barracuda Sentinel (EE)")
    web.get(_pixel(prefetched), HTTP_USER_AGENT=BROWSER, HTTP_SEC_PURPOSE="prefetch")
    scanner.refresh_from_db()
    assert scanner.open_suspect
    metrics = client_for(staff).get(f"{CAMPAIGNS}{campaign['id']}/").json()["metrics"]
    assert (metrics["opened"], metrics["opened_by_machines"]) == (1, 2)
    # The person opens it later: a person's open after all.
    web.get(_pixel(scanner), HTTP_USER_AGENT=BROWSER)
    metrics = client_for(staff).get(f"{CAMPAIGNS}{campaign['id']}/").json()["metrics"]
    assert (metrics["opened"], metrics["opened_by_machines"]) == (2, 1)

    # A forged or other token still answers the image, and counts nothing.
    assert web.get("/api/v1/marketing/t/forged/open/").status_code == 200
    click_token = re.search(r"/t/([^/]+)/click/", delivery.body).group(1)
    web.get(f"/api/v1/marketing/t/{click_token}/open/", HTTP_USER_AGENT=BROWSER)
    assert Touch.objects.filter(opened_at__isnull=False).count() == 3


def test_an_open_right_after_the_hand_over_is_a_machines(mailed, settings):
    _, touches = mailed
    settings.MARKETING_OPEN_MIN_SECONDS = 60
    Client().get(_pixel(touches[0]), HTTP_USER_AGENT=BROWSER)
    touches[0].refresh_from_db()
    assert touches[0].opened_at is not None
    assert touches[0].open_suspect
    Touch.objects.filter(pk=touches[0].pk).update(handed_at=timezone.now() - timedelta(minutes=5))
    Client().get(_pixel(touches[0]), HTTP_USER_AGENT=BROWSER)
    touches[0].refresh_from_db()
    assert not touches[0].open_suspect


# Inbound replies ----------------------------------------------------------------------------


@pytest.fixture
def inbound(settings):
    settings.MESSAGING_CALLBACK_TOKEN = "hook-secret"
    client = Client()

    def post(provider: str, body, *, form: bool = False, token: str = "hook-secret"):
        path = f"/api/v1/marketing/inbound/{provider}/?token={token}"
        if form:
            return client.post(path, body)
        return client.post(
            path, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json"
        )

    return post


def test_an_email_reply_is_recorded_and_ends_the_sequences_that_exit_on_replies(
    mailed, inbound, client_for, staff, company
):
    campaign, touches = mailed
    touch = touches[0]
    delivery = Delivery.objects.get(pk=touch.delivery_id)
    delivery.provider_message_id = "<abc@domus>"
    delivery.save(update_fields=["provider_message_id"])
    api = client_for(staff)
    exits = api.post_json(
        "/api/v1/marketing/sequences/",
        {"name": "Nurture", "steps": [{"id": "w", "type": "wait", "days": 3}], "exit_on": ["reply"]},
    ).json()
    stays = api.post_json(
        "/api/v1/marketing/sequences/",
        {"name": "Keep", "steps": [{"id": "w", "type": "wait", "days": 3}], "exit_on": ["viewing"]},
    ).json()
    for sequence in (exits, stays):
        api.post_json(f"/api/v1/marketing/sequences/{sequence['id']}/enrol/", {"lead_ids": [str(touch.lead_id)]})

    response = inbound("email", {"from": "Someone <other@x.test>", "text": "Yes please", "in_reply_to": "<abc@domus>"})
    assert response.status_code == 204, response.content
    touch.refresh_from_db()
    assert touch.replied_at is not None
    assert touch.reply == "Yes please"
    activity = LeadActivity.objects.get(lead_id=touch.lead_id)
    assert activity.kind == "email"
    assert "Yes please" in activity.note
    assert Enrolment.objects.get(sequence_id=exits["id"]).status == "exited"
    assert Enrolment.objects.get(sequence_id=stays["id"]).status == "active"
    # A second reply keeps the first, and is counted once.
    inbound("email", {"from": "x@y.test", "text": "Again", "in_reply_to": "<abc@domus>"})
    touch.refresh_from_db()
    assert touch.reply == "Yes please"
    assert api.get(f"{CAMPAIGNS}{campaign['id']}/").json()["metrics"]["replied"] == 1
    history = api.get(f"/api/v1/marketing/leads/{touch.lead_id}/history/").json()["results"]
    assert history[0]["reply"] == "Yes please"


def test_sms_and_whatsapp_replies_are_matched_by_number_or_context(
    client_for, staff, reachable_leads, inbound, django_capture_on_commit_callbacks
):
    leads = reachable_leads(2, prefix="s")
    api = client_for(staff)
    campaign = api.post_json(
        CAMPAIGNS,
        {
            "name": "Texts",
            "lead_ids": [str(lead.pk) for lead in leads],
            "channels": [{"channel": "sms", "body": "Hi"}, {"channel": "whatsapp", "body": "Hi"}],
        },
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    first, second = leads
    response = inbound("twilio", {"From": first.phone, "Body": "Call me", "MessageSid": "SM1"}, form=True)
    assert response.status_code == 204, response.content
    replied = Touch.objects.filter(lead=first, replied_at__isnull=False)
    assert replied.count() == 1
    assert replied.get().reply == "Call me"

    whatsapp = Touch.objects.get(lead=second, channel="whatsapp")
    Delivery.objects.filter(pk=whatsapp.delivery_id).update(provider_message_id="wamid.XYZ")
    body = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "messages": [
                                {"from": "254799999999", "text": {"body": "Interested"}, "context": {"id": "wamid.XYZ"}}
                            ]
                        }
                    }
                ]
            }
        ]
    }
    assert inbound("whatsapp", body).status_code == 204
    whatsapp.refresh_from_db()
    assert whatsapp.reply == "Interested"
    assert api.get(f"{CAMPAIGNS}{campaign['id']}/").json()["metrics"]["replied"] == 2
    # A message from nobody we wrote to is accepted and recorded nowhere.
    assert inbound("twilio", {"From": "+15550000000", "Body": "?"}, form=True).status_code == 204
    assert Touch.objects.filter(replied_at__isnull=False).count() == 2


def test_the_inbound_webhook_refuses_bad_tokens_providers_and_bodies(db, inbound):
    assert inbound("email", {"from": "a@b.test", "text": "x"}, token="wrong").status_code == 401
    assert inbound("fax", {"from": "a@b.test"}).status_code == 400
    assert inbound("email", "not json").status_code == 400
    assert inbound("whatsapp", "[1, 2]").status_code == 400
    assert inbound("whatsapp", {"entry": "nope"}).status_code == 400
    assert inbound("whatsapp", {"entry": [{"changes": [{"value": {"messages": [1]}}]}]}).status_code == 400
    assert inbound("whatsapp", {"entry": []}).status_code == 204
    assert Campaign.objects.count() == 0
