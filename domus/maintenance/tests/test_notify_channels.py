"""The ``work_order.*`` notifications go out by e-mail and SMS too, through the
communications app's adapters (faked only at the HTTP boundary), as each recipient's
preferences allow: a recipient who turned a channel off gets nothing on it."""

from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.apps import apps
from django.core import mail

from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance.tests.helpers import tenant_body

pytestmark = pytest.mark.django_db

CommunicationPreference = apps.get_model("communications", "CommunicationPreference")
Delivery = apps.get_model("communications", "Delivery")
OptOut = apps.get_model("communications", "OptOut")
Notification = apps.get_model("communications", "Notification")
TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


@pytest.fixture
def twilio(settings):
    settings.MESSAGING_OUTBOX = False
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "t", "+15550001"
    with respx.mock(assert_all_called=False) as router:
        yield router.post(TWILIO).mock(return_value=httpx.Response(201, json={"sid": "SM1"}))


def _texts(route) -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for call in route.calls:
        form = parse_qs(call.request.content.decode())
        sent.setdefault(form["To"][0], []).append(form["Body"][0])
    return sent


def _mails() -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for message in mail.outbox:
        for to in message.to:
            sent.setdefault(to, []).append(message.subject)
    return sent


def test_requester_vendor_and_owner_hear_by_email_and_sms_as_they_prefer(
    client_for, company, staff, vendor, vendor_user, twilio, django_capture_on_commit_callbacks
):
    lease = LeaseFactory(status="active", listing__company=company)
    tenant, owner = lease.tenant, lease.listing.owner
    for user, phone in ((tenant, "+254700000001"), (vendor_user, "+254700000002"), (owner, "+254700000003")):
        user.phone = phone
        user.save()
    CommunicationPreference.objects.create(user=vendor_user, email_enabled=False, sms_enabled=True)
    CommunicationPreference.objects.create(user=owner, email_enabled=False, sms_enabled=False)
    desk = client_for(staff)

    with django_capture_on_commit_callbacks(execute=True):
        bid = client_for(tenant).post_json("/api/v1/maintenance/bookings/", tenant_body()).json()["id"]
    assert _mails()[staff.email] == ["New repair request"]  # the desk hears of the request
    assert tenant.email not in _mails()  # never of their own action

    with django_capture_on_commit_callbacks(execute=True):
        desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged"})
        offered = desk.post_json(f"/api/v1/maintenance/bookings/{bid}/vendor/", {"vendor_id": str(vendor.id)})
    assert offered.status_code == 200, offered.json()

    mails, texts = _mails(), _texts(twilio)
    assert mails[tenant.email] == ["Repair status changed"]
    assert len(texts["+254700000001"]) == 1
    assert "now triaged" in texts["+254700000001"][0]
    assert texts["+254700000002"] == ["Ann Wanjiru"]  # the vendor: SMS only (the offer's body is the job's name)
    assert vendor_user.email not in mails
    # the owner opted out of both channels: the in-app notification only
    assert Notification.objects.filter(recipient=owner, event="work_order.status_changed").exists()
    assert owner.email not in mails
    assert "+254700000003" not in texts
    assert not Delivery.objects.filter(recipient=owner).exists()
    sent = Delivery.objects.filter(recipient=tenant).values_list("channel", "status", "provider")
    assert sorted(sent) == [("email", "sent", "email"), ("sms", "sent", "twilio")]


def test_quiet_hours_hold_the_sms_and_an_opted_out_address_gets_nothing(
    client_for, company, staff, twilio, django_capture_on_commit_callbacks
):
    from datetime import time

    lease = LeaseFactory(status="active", listing__company=company)
    tenant = lease.tenant
    tenant.phone = "+254700000009"
    tenant.save()
    CommunicationPreference.objects.create(
        user=tenant, quiet_hours_start=time(0, 0), quiet_hours_end=time(23, 59, 59), timezone="UTC"
    )
    OptOut.objects.create(channel="email", address=staff.email.lower())

    with django_capture_on_commit_callbacks(execute=True):
        bid = client_for(tenant).post_json("/api/v1/maintenance/bookings/", tenant_body()).json()["id"]
        client_for(staff).patch_json(f"/api/bookings/{bid}", {"status": "triaged"})

    assert staff.email not in _mails()
    assert _mails()[tenant.email] == ["Repair status changed"]
    assert not twilio.called
    refused = Delivery.objects.get(recipient=tenant, channel="sms")
    assert refused.status == "refused"
    assert "Quiet hours" in refused.error
