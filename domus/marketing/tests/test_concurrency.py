"""Two workers handing one campaign over at once (real threads on PostgreSQL): every
touch goes to one of them, nobody gets a message twice."""

import threading
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection

from domus.marketing import services
from domus.marketing.models import Touch


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_campaign_without_sending_twice(staff, reachable_leads, settings):
    settings.MARKETING_BATCH_SIZE = 25
    leads = reachable_leads(150)
    campaign = services.campaign_create(
        actor=staff,
        name="Shared",
        lead_ids=[lead.pk for lead in leads],
        channels=[{"channel": "sms", "body": "Hi"}, {"channel": "email", "body": "Hi"}],
    )
    services.campaign_launch(actor=staff, campaign=campaign)
    services.campaign_fan_out(campaign_id=campaign.pk)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            services.campaign_dispatch(campaign_id=campaign.pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert not Touch.objects.filter(campaign=campaign, status="pending").exists()
    deliveries = apps.get_model("communications", "Delivery").objects.all()
    pairs = Counter((d.lead_id, d.channel) for d in deliveries)
    assert len(pairs) == 300
    assert max(pairs.values()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_fan_outs_at_once_write_each_touch_once_in_chunks(staff, company, reachable_leads, settings):
    """The set-based fan-out (chunks of ``MARKETING_FAN_OUT_CHUNK`` leads, each an
    ``INSERT ... SELECT``), run by two workers at once and again after new leads came:
    one touch per lead and channel, time-ordered ids, the new leads only the second time."""
    settings.MARKETING_FAN_OUT_CHUNK = 20
    leads = reachable_leads(130)
    segment = services.segment_create(actor=staff, name="All", rules={}, company_id=company.pk)
    campaign = services.campaign_create(
        actor=staff,
        name="Fan",
        segment_ids=[segment.pk],
        channels=[{"channel": "sms", "body": "Hi"}, {"channel": "email", "body": "Hi"}],
    )
    apps.get_model("marketing", "Campaign").objects.filter(pk=campaign.pk).update(status="running")
    written: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            written.append(services.campaign_fan_out(campaign_id=campaign.pk))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(written) == 260
    touches = Touch.objects.filter(campaign=campaign)
    assert touches.count() == 260
    assert Counter((t.lead_id, t.channel) for t in touches).most_common(1)[0][1] == 1
    assert {t.id.version for t in touches} == {7}
    assert all(t.status == "pending" and t.reason == "" and not t.open_suspect for t in touches)

    reachable_leads(5, prefix="late")
    assert services.campaign_fan_out(campaign_id=campaign.pk) == 10
    assert Touch.objects.filter(campaign=campaign).count() == 270
    assert len(leads) == 130
