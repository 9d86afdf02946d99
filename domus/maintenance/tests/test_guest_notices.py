"""A public booker (no account: the booking's name, e-mail and phone) hears by e-mail and
SMS, through the communications adapters (Twilio faked only at the HTTP boundary), that
their booking was received, its visit booked (date and time), the work done and the job
closed; each message carries its way out (a signed opt-out link, "Reply STOP"), and an
address that left gets nothing more on that channel."""

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.apps import apps
from django.core import mail

from domus.maintenance.tests.helpers import booking_body

pytestmark = pytest.mark.django_db

Delivery = apps.get_model("communications", "Delivery")
OptOut = apps.get_model("communications", "OptOut")
TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
PHONE = "+254700000001"  # booking_body's phone
EMAIL = "ann@example.test"  # booking_body's e-mail
T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def twilio(settings):
    settings.MESSAGING_OUTBOX = False
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "t", "+15550001"
    with respx.mock(assert_all_called=False) as router:
        yield router.post(TWILIO).mock(return_value=httpx.Response(201, json={"sid": "SM1"}))


def _texts(route) -> list[str]:
    forms = [parse_qs(call.request.content.decode()) for call in route.calls]
    return [form["Body"][0] for form in forms if form["To"] == [PHONE]]


def _guest_mails() -> list:
    return [m for m in mail.outbox if EMAIL in m.to]


def _book(api_client, capture) -> str:
    with capture(execute=True):
        made = api_client.post_json("/api/bookings", booking_body())
    assert made.status_code == 201, made.json()
    return made.json()["id"]


def test_a_public_booker_hears_of_receipt_visit_work_done_and_close(
    api_client, client_for, staff, technician, twilio, django_capture_on_commit_callbacks
):
    bid = _book(api_client, django_capture_on_commit_callbacks)
    assert [m.subject for m in _guest_mails()] == ["We received your repair request"]
    assert "Hello Ann Wanjiru" in _guest_mails()[0].body
    assert "Ngong Road 5" in _guest_mails()[0].body
    assert "/api/v1/communications/opt-out/" in _guest_mails()[0].body
    texts = _texts(twilio)
    assert len(texts) == 1
    assert texts[0].endswith("Reply STOP to opt out.")

    desk = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged"})  # nothing for the guest
        booked = desk.post_json(
            f"/api/v1/maintenance/bookings/{bid}/technician/",
            {
                "technician_id": str(technician.id),
                "start": T0.isoformat(),
                "end": (T0 + timedelta(hours=2)).isoformat(),
            },
        )
    assert booked.status_code == 200, booked.json()
    assert _guest_mails()[-1].subject == "Your repair visit is booked"
    assert "2026-12-10 09:00 UTC" in _guest_mails()[-1].body
    assert "2026-12-10 09:00 UTC" in _texts(twilio)[-1]

    field = client_for(technician)
    with django_capture_on_commit_callbacks(execute=True):
        field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "in_progress"})
        field.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "work_done"})
        desk.patch_json(f"/api/bookings/{bid}", {"status": "ready_to_bill"})
        closed = desk.patch_json(f"/api/bookings/{bid}", {"status": "closed"})
    assert closed.status_code == 200, closed.json()

    assert [m.subject for m in _guest_mails()] == [
        "We received your repair request",
        "Your repair visit is booked",
        "Your repair is done",
        "Your repair request is closed",
    ]
    assert len(_texts(twilio)) == 4
    guest = Delivery.objects.filter(recipient__isnull=True, address__in=[EMAIL, PHONE])
    assert sorted(set(guest.values_list("channel", "status", "provider"))) == [
        ("email", "sent", "email"),
        ("sms", "sent", "twilio"),
    ]


def test_the_opt_out_link_stops_the_guests_emails(
    api_client, client_for, staff, twilio, django_capture_on_commit_callbacks
):
    bid = _book(api_client, django_capture_on_commit_callbacks)
    link = re.search(r"https?://\S+/api/v1/communications/opt-out/(\S+)/", _guest_mails()[0].body)
    assert link is not None
    assert api_client.get("/api/v1/communications/opt-out/forged/").status_code == 404
    left = api_client.get(f"/api/v1/communications/opt-out/{link.group(1)}/")
    assert left.status_code == 200
    assert OptOut.objects.filter(channel="email", address=EMAIL).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).patch_json(f"/api/bookings/{bid}", {"status": "rejected"})
    assert len(_guest_mails()) == 1  # nothing after the opt-out
    refused = Delivery.objects.filter(address=EMAIL, status="refused").get()
    assert refused.error == "The address opted out of email."


def _signature(url: str, params: dict[str, str]) -> str:
    signed = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(b"t", signed.encode(), hashlib.sha1).digest()).decode()


def test_a_stop_reply_stops_the_guests_texts(
    api_client, client_for, staff, twilio, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGING_CALLBACK_TOKEN, settings.MESSAGING_CALLBACK_BASE_URL = "s3cret", ""
    bid = _book(api_client, django_capture_on_commit_callbacks)
    assert len(_texts(twilio)) == 1
    path = "/api/v1/marketing/inbound/twilio/?token=s3cret"
    params = {"From": PHONE, "Body": "Stop", "AccountSid": "AC1"}
    replied = api_client.post(
        path, params, headers={"X-Twilio-Signature": _signature(f"http://testserver{path}", params)}
    )
    assert replied.status_code == 204, replied.content
    assert OptOut.objects.filter(channel="sms", address=PHONE).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).patch_json(f"/api/bookings/{bid}", {"status": "cancelled"})
    assert len(_texts(twilio)) == 1  # no more texts
    assert _guest_mails()[-1].subject == "Your repair request is cancelled"  # the e-mail still goes


def test_a_signed_in_requester_gets_no_guest_notice(client_for, company, django_capture_on_commit_callbacks):
    from domus.leasing.tests.factories import LeaseFactory
    from domus.maintenance.tests.helpers import tenant_body

    tenant = LeaseFactory(status="active", listing__company=company).tenant
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(tenant).post_json("/api/v1/maintenance/bookings/", tenant_body()).status_code == 201
    assert not _guest_mails()
    assert not Delivery.objects.filter(recipient__isnull=True).exists()
