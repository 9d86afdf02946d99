"""A campaign end to end: a 1,000-lead segment over two channels, honouring preferences,
opt-outs, the do-not-contact list, quiet hours in each lead's zone and frequency caps;
a relaunch after a crash sends nobody twice; the metrics add up to the delivery records."""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone

from domus.marketing import selectors, services
from domus.marketing.models import Campaign, Touch

Delivery = apps.get_model("communications", "Delivery")
OptOut = apps.get_model("communications", "OptOut")
Pref = apps.get_model("communications", "CommunicationPreference")
Lead = apps.get_model("crm", "Lead")

CAMPAIGNS = "/api/v1/marketing/campaigns/"
FAR_EAST = "Etc/GMT-12"  # UTC+12 all year


def _window_around(now: datetime, zone: str) -> tuple[str, str]:
    local = now.astimezone(ZoneInfo(zone))
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=2)).strftime("%H:%M")
    return start, end


@pytest.fixture
def audience(company, staff, reachable_leads):
    """1,000 reachable leads in two zones, with the exceptions the campaign must honour."""
    near = reachable_leads(600, prefix="near", timezone="UTC")
    far = reachable_leads(400, prefix="far", timezone=FAR_EAST)
    leads = near + far
    # 50 gave no marketing consent; 50 turned SMS off.
    Pref.objects.filter(user_id__in=[lead.user_id for lead in leads[:50]]).update(marketing_consent=False)
    Pref.objects.filter(user_id__in=[lead.user_id for lead in leads[50:100]]).update(sms_enabled=False)
    # 30 opted out of e-mail; 20 leads are on the do-not-contact list for every channel.
    for lead in leads[100:130]:
        OptOut.objects.create(channel="email", address=lead.email)
    for lead in leads[130:150]:
        services.dnc_add(actor=staff, lead_id=lead.pk, company_id=company.pk)
    # 40 near leads are in their own quiet hours right now.
    now = timezone.now()
    start, end = _window_around(now, "UTC")
    from datetime import time

    Pref.objects.filter(user_id__in=[lead.user_id for lead in leads[150:190]]).update(
        quiet_hours_start=time.fromisoformat(start), quiet_hours_end=time.fromisoformat(end)
    )
    return leads


def _create(client, data):
    response = client.post_json(CAMPAIGNS, data)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_campaign_to_1000_leads_over_two_channels(
    client_for, staff, company, audience, settings, django_capture_on_commit_callbacks
):
    settings.MARKETING_BATCH_SIZE = 150
    api = client_for(staff)
    segment = api.post_json("/api/v1/marketing/segments/", {"name": "Everyone new", "rules": {"statuses": ["new"]}})
    assert segment.status_code == 201, segment.content
    assert segment.json()["member_count"] == 1000
    now = timezone.now()
    # SMS is quiet for the far zone now (the campaign's window, in each lead's own zone).
    far_start, far_end = _window_around(now, FAR_EAST)
    # 60 leads already had 2 marketing messages this week: the cap (2 in 7 days) skips them.
    capped = audience[200:260]
    earlier = Campaign.objects.create(company=company, name="Earlier", channels=[], status="completed")
    Touch.objects.bulk_create(
        [
            Touch(
                company=company,
                lead=lead,
                campaign=earlier,
                channel=channel,
                status="queued",
                due_at=now - timedelta(days=1),
                handed_at=now - timedelta(days=1),
            )
            for lead in capped
            for channel in ("email", "sms")
        ]
    )
    campaign = _create(
        api,
        {
            "name": "Spring open house",
            "segment_ids": [segment.json()["id"]],
            "channels": [
                {
                    "channel": "email",
                    "subject": "Hello {{ lead.first_name }}",
                    "body": "Dear {{ lead.name }}, see https://example.test/open-house",
                    "cost": "0.01",
                },
                {"channel": "sms", "body": "Open house Saturday, {{ lead.first_name }}!", "cost": "0.50"},
            ],
            "quiet_hours": {"sms": {"start": far_start, "end": far_end}},
            "frequency_cap": 2,
            "frequency_days": 7,
        },
    )
    assert campaign["status"] == "draft"

    with django_capture_on_commit_callbacks(execute=True):
        launched = api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    assert launched.status_code == 200, launched.content

    touches = Touch.objects.filter(campaign_id=campaign["id"])
    assert touches.count() == 2000
    by_lead = {(t.lead_id, t.channel): t for t in touches}
    ids = {lead.pk for lead in audience}
    no_consent = {lead.pk for lead in audience[:50]}
    sms_off = {lead.pk for lead in audience[50:100]}
    email_out = {lead.pk for lead in audience[100:130]}
    dnc = {lead.pk for lead in audience[130:150]}
    quiet_own = {lead.pk for lead in audience[150:190]}
    far = {lead.pk for lead in audience[600:]}
    capped_ids = {lead.pk for lead in capped}
    for (lead_id, channel), touch in by_lead.items():
        if lead_id in capped_ids:
            assert touch.status == "skipped", touch.reason
        elif lead_id in quiet_own or (channel == "sms" and lead_id in far):
            assert touch.status == "pending"
            assert touch.due_at > now
        elif lead_id in no_consent or lead_id in dnc or (channel == "email" and lead_id in email_out):
            assert touch.status == "refused", (lead_id, channel, touch.status)
        elif channel == "sms" and lead_id in sms_off:
            assert touch.status == "refused"
        else:
            assert touch.status == "queued", (touch.status, touch.reason)
    # The quiet ones go once their windows have passed.
    later = now + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaigns_dispatch_due(now=later)
    assert not touches.filter(status="pending").exists()
    assert Campaign.objects.get(pk=campaign["id"]).status == "completed"

    # Nobody got a channel's message twice; each handed touch has its delivery.
    deliveries = Delivery.objects.filter(id__in=touches.values("delivery_id"))
    pairs = Counter((d.lead_id, d.channel) for d in deliveries)
    assert max(pairs.values()) == 1
    assert set(pairs) <= {(i, c) for i in ids for c in ("email", "sms")}
    # Opted-out, do-not-contact and unconsented leads got nothing on those channels.
    delivered = {(d.lead_id, d.channel) for d in deliveries if d.status in ("sent", "delivered")}
    assert not {(i, "email") for i in email_out | dnc | no_consent} & delivered
    assert not {(i, "sms") for i in sms_off | dnc | no_consent} & delivered
    # E-mails carry a signed tracking link and the opt-out link, with merge fields filled.
    mail = deliveries.filter(channel="email", status="delivered").first()
    assert "/api/v1/marketing/t/" in mail.body
    assert "/unsubscribe/" in mail.body
    assert "{{" not in mail.body
    assert mail.subject.startswith("Hello ")

    # Metrics add up, and agree with the delivery records.
    metrics = api.get(f"{CAMPAIGNS}{campaign['id']}/").json()["metrics"]
    parts = ("pending", "in_flight", "sent", "failed", "refused", "skipped")
    assert sum(metrics[p] for p in parts) == metrics["messages"] == 2000
    assert metrics["targeted"] == 1000
    assert metrics["sent"] == deliveries.filter(status__in=["sent", "delivered"]).count()
    assert metrics["refused"] == touches.filter(status="refused").count()
    assert metrics["skipped"] == 2 * len(capped_ids)
    sms_sent = deliveries.filter(channel="sms", status__in=["sent", "delivered"]).count()
    email_sent = deliveries.filter(channel="email", status__in=["sent", "delivered"]).count()
    assert metrics["cost"] == f"{sms_sent * 0.50 + email_sent * 0.01:.2f}"
    listed = api.get(CAMPAIGNS).json()["results"]
    assert next(c for c in listed if c["id"] == campaign["id"])["metrics"] == metrics


def test_a_relaunch_after_a_crash_sends_nobody_twice(
    client_for, staff, company, reachable_leads, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MARKETING_BATCH_SIZE = 40
    leads = reachable_leads(200)
    api = client_for(staff)
    campaign = _create(
        api,
        {
            "name": "Crashy",
            "lead_ids": [str(lead.pk) for lead in leads],
            "channels": [{"channel": "email", "body": "Hi"}, {"channel": "sms", "body": "Hi"}],
        },
    )
    from domus.marketing.services import common

    real = common.outreach_send
    calls = {"n": 0}

    def crashing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(common, "outreach_send", crashing)
    # The workflow dies in its fifth hand-over (the launch itself was committed).
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    assert calls["n"] == 5
    touches = Touch.objects.filter(campaign_id=campaign["id"])
    handed_before = touches.exclude(status="pending").count()
    assert 0 < handed_before < 400
    # The batch that crashed left no delivery behind: touches and deliveries commit together.
    assert Delivery.objects.count() == handed_before

    monkeypatch.setattr(common, "outreach_send", real)
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    assert again.status_code == 200, again.content
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")  # and once more: still nothing twice

    assert touches.count() == 400
    pairs = Counter((d.lead_id, d.channel) for d in Delivery.objects.all())
    assert len(pairs) == 400
    assert max(pairs.values()) == 1
    assert Campaign.objects.get(pk=campaign["id"]).status == "completed"


def test_a_completed_or_cancelled_campaign_cannot_be_launched(client_for, staff, reachable_leads):
    leads = reachable_leads(1)
    api = client_for(staff)
    campaign = _create(
        api, {"name": "x", "lead_ids": [str(leads[0].pk)], "channels": [{"channel": "sms", "body": "Hi"}]}
    )
    assert api.post_json(f"{CAMPAIGNS}{campaign['id']}/cancel/").json()["status"] == "cancelled"
    response = api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    assert response.status_code == 409


def test_local_schedule_sends_at_the_time_of_day_in_each_leads_zone(staff, company, reachable_leads):
    near = reachable_leads(1, prefix="utc", timezone="UTC")[0]
    far = reachable_leads(1, prefix="far", timezone=FAR_EAST)[0]
    tomorrow = (timezone.now() + timedelta(days=2)).date()
    from datetime import time

    campaign = services.campaign_create(
        actor=staff,
        name="Morning",
        lead_ids=[near.pk, far.pk],
        channels=[{"channel": "sms", "body": "Good morning"}],
        schedule="local",
        local_date=tomorrow,
        local_time=time(9, 0),
    )
    services.campaign_launch(actor=staff, campaign=campaign)
    services.campaign_fan_out(campaign_id=campaign.pk)
    due = {t.lead_id: t.due_at for t in Touch.objects.filter(campaign=campaign)}
    assert due[near.pk] == datetime.combine(tomorrow, time(9), tzinfo=ZoneInfo("UTC"))
    assert due[far.pk] == datetime.combine(tomorrow, time(9), tzinfo=ZoneInfo(FAR_EAST))
    assert due[near.pk] - due[far.pk] == timedelta(hours=12)


def test_holidays_move_sends_to_the_next_day(staff, company, reachable_leads):
    lead = reachable_leads(1)[0]
    today = timezone.now().date()
    campaign = services.campaign_create(
        actor=staff,
        name="Not on holidays",
        lead_ids=[lead.pk],
        channels=[{"channel": "sms", "body": "Hi"}],
        holidays=[today],
    )
    services.campaign_launch(actor=staff, campaign=campaign)
    services.campaign_fan_out(campaign_id=campaign.pk)
    touch = Touch.objects.get(campaign=campaign)
    assert touch.due_at == datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("UTC"))
    assert selectors.campaigns_with_due_touches(timezone.now()) == []


def test_a_campaign_at_a_time_waits_scheduled_then_the_beat_starts_it(
    client_for, staff, reachable_leads, django_capture_on_commit_callbacks
):
    lead = reachable_leads(1)[0]
    at = timezone.now() + timedelta(hours=5)
    api = client_for(staff)
    campaign = _create(
        api,
        {
            "name": "Later",
            "lead_ids": [str(lead.pk)],
            "channels": [{"channel": "sms", "body": "Hi"}],
            "schedule": "at",
            "send_at": at.isoformat(),
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        launched = api.post_json(f"{CAMPAIGNS}{campaign['id']}/launch/")
    assert launched.json()["status"] == "scheduled"
    assert services.campaigns_start_scheduled(now=timezone.now()) == 0
    assert not Touch.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.campaigns_start_scheduled(now=at + timedelta(minutes=1)) == 1
        services.campaigns_dispatch_due(now=at + timedelta(minutes=1))
    touch = Touch.objects.get()
    assert touch.status == "queued"
    assert Campaign.objects.get(pk=campaign["id"]).status == "completed"
