from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.communications.models import CommunicationPreference, Delivery, OptOut
from domus.core.ids import uuid7
from domus.crm.tests.factories import LeadFactory

SEND = "/api/v1/communication/send/{}/"
BULK = "/api/v1/communication/send-bulk/"


@pytest.fixture
def send(client_for, staff, django_capture_on_commit_callbacks):
    """POST as ``staff`` and run the queued sends (Celery is eager in tests)."""
    api = client_for(staff)

    def post(path, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post_json(path, data, **kwargs)

    return post


def test_send_to_a_lead_goes_to_the_local_outbox_by_default(send, client_for, staff, company, audit_log):
    lead = LeadFactory(company=company)

    response = send(SEND.format(lead.id), {"message": "Your viewing is tomorrow", "channel": "sms"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["queued"], body["refused"]) == (1, 1, 0)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.provider, delivery.address, delivery.attempts) == (
        "delivered",
        "outbox",
        lead.phone,
        1,
    )
    assert delivery.provider_message_id.startswith("outbox-")
    outbox = client_for(staff).get("/api/v1/communications/outbox/").json()
    assert [d["id"] for d in outbox["results"]] == [str(delivery.id)]
    assert audit_log.objects.filter(resource_type="communications.delivery", action="send").exists()


def test_a_lead_of_another_company_is_404(send, other_company, audit_log):
    lead = LeadFactory(company=other_company)

    response = send(SEND.format(lead.id), {"message": "Hi", "channel": "email"})

    assert response.status_code == 404
    assert not Delivery.objects.exists()
    assert not audit_log.objects.filter(action="send").exists()


def test_sending_to_an_unknown_lead_is_404_and_writes_nothing(send, audit_log):
    response = send(SEND.format(uuid7()), {"message": "Hi", "channel": "sms"})

    assert response.status_code == 404
    assert not Delivery.objects.exists()
    assert not audit_log.objects.filter(action="send").exists()


def test_the_send_is_audited_once_per_company_it_reached(client_for, company, other_company, audit_log):
    admin = UserFactory(role="admin")
    leads = [LeadFactory(company=company), LeadFactory(company=company), LeadFactory(company=other_company)]
    ids = [str(lead.id) for lead in leads] + [str(uuid7())]

    response = client_for(admin).post_json(BULK, {"lead_ids": ids, "message": "Open house", "channel": "sms"})

    assert response.status_code == 200, response.content
    rows = audit_log.objects.filter(action="send", resource_id=response.json()["batch_id"])
    assert sorted((row.company_id, row.changes["recipients"]["after"]) for row in rows) == sorted(
        [(company.id, 2), (other_company.id, 1)]
    )


def test_customers_cannot_send(client_for, alice, company):
    lead = LeadFactory(company=company)

    response = client_for(alice).post_json(SEND.format(lead.id), {"message": "Hi", "channel": "email"})

    assert response.status_code == 403
    assert not Delivery.objects.exists()


def test_opted_out_channels_quiet_hours_and_missing_addresses_are_refused_with_reasons(send, company, alice, bob):
    CommunicationPreference.objects.create(user=alice, sms_enabled=False)
    now = timezone.now()
    CommunicationPreference.objects.create(
        user=bob, quiet_hours_start=(now - timedelta(hours=1)).time(), quiet_hours_end=(now + timedelta(hours=1)).time()
    )
    opted_out_account = LeadFactory(company=company, user=alice)
    in_quiet_hours = LeadFactory(company=company, user=bob)
    stop_reply = LeadFactory(company=company)
    OptOut.objects.create(channel="sms", address=stop_reply.phone)
    no_phone = LeadFactory(company=company, phone="")
    fine = LeadFactory(company=company)
    ids = [opted_out_account.id, in_quiet_hours.id, stop_reply.id, no_phone.id, fine.id]

    response = send(BULK, {"lead_ids": [str(i) for i in ids], "message": "Open house Saturday", "channel": "sms"})

    assert response.status_code == 200, response.content
    results = {r["lead_id"]: r for r in response.json()["results"]}
    assert results[str(opted_out_account.id)]["reason"] == "The recipient opted out of sms."
    assert results[str(in_quiet_hours.id)]["reason"].startswith("Quiet hours of the recipient")
    assert results[str(stop_reply.id)]["reason"] == "The recipient opted out of sms."
    assert results[str(no_phone.id)]["reason"] == "The lead has no phone number."
    assert results[str(fine.id)]["status"] == "queued"
    statuses = dict(Delivery.objects.values_list("lead_id", "status"))
    assert [statuses[i] for i in ids] == ["refused", "refused", "refused", "refused", "delivered"]


def test_idempotency_key_sends_once(send, company):
    lead = LeadFactory(company=company)
    data = {"message": "Hello", "channel": "email", "subject": "Hi"}

    first = send(SEND.format(lead.id), data, headers={"Idempotency-Key": "send-1"})
    second = send(SEND.format(lead.id), data, headers={"Idempotency-Key": "send-1"})

    assert first.status_code == second.status_code == 200
    assert second.json()["batch_id"] == first.json()["batch_id"]
    assert Delivery.objects.count() == 1


def test_bulk_send_to_1000_leads_records_each_recipient(send, company, settings):
    settings.MESSAGING_BATCH_SIZE = 200
    leads = LeadFactory.create_batch(1000, company=company)
    unknown = "018f0000-0000-7000-8000-000000000000"

    response = send(
        BULK, {"lead_ids": [str(lead.id) for lead in leads] + [unknown], "message": "New launch", "channel": "email"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["queued"], body["refused"]) == (1001, 1000, 1)
    assert body["results"][-1] == {
        "lead_id": unknown,
        "delivery_id": None,
        "status": "not_found",
        "reason": "No such lead.",
    }
    assert Delivery.objects.filter(batch_id=body["batch_id"], status="delivered").count() == 1000
    assert Delivery.objects.values("lead_id").distinct().count() == 1000


def test_bulk_send_validates_its_input(send):
    responses = [
        send(BULK, {"lead_ids": [], "message": "x", "channel": "sms"}),
        send(BULK, {"lead_ids": ["018f0000-0000-7000-8000-000000000000"], "message": "x", "channel": "fax"}),
        send(BULK, {"lead_ids": ["nope"], "message": "x", "channel": "sms"}),
    ]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert not Delivery.objects.exists()


@respx.mock
def test_with_provider_credentials_the_real_adapter_sends(send, company, settings):
    settings.MESSAGING_OUTBOX = False
    settings.TELEGRAM_BOT_TOKEN = "bot-token"
    route = respx.post("https://api.telegram.org/botbot-token/sendMessage").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": {"message_id": 77}})
    )
    user_lead = LeadFactory(company=company, user=UserFactory())
    CommunicationPreference.objects.create(user_id=user_lead.user_id, telegram_enabled=True, telegram_chat_id="4242")

    response = send(SEND.format(user_lead.id), {"message": "Keys are ready", "channel": "telegram"})

    assert response.status_code == 200, response.content
    assert route.called
    assert route.calls[0].request.content == b'{"chat_id":"4242","text":"Keys are ready"}'
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.provider, delivery.provider_message_id) == ("delivered", "telegram", "77")


def test_provider_callback_updates_the_delivery(api_client, settings, company):
    settings.MESSAGING_CALLBACK_TOKEN = "s3cret"
    delivery = Delivery.objects.create(
        company=company,
        channel="sms",
        address="+254700000000",
        body="x",
        status="sent",
        provider="twilio",
        provider_message_id="SM1",
    )
    url = "/api/v1/communications/callbacks/twilio/"

    refused = api_client.post(f"{url}?token=wrong", {"MessageSid": "SM1", "MessageStatus": "delivered"})
    accepted = api_client.post(f"{url}?token=s3cret", {"MessageSid": "SM1", "MessageStatus": "delivered"})

    assert refused.status_code == 401
    assert accepted.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.delivered_at is not None


def test_staff_record_an_opt_out_that_later_sends_honour(send, client_for, staff, alice, company):
    lead = LeadFactory(company=company, email="Lead@Example.test")

    created = client_for(staff).post_json(
        "/api/v1/communications/opt-outs/", {"channel": "email", "address": "lead@example.test", "reason": "asked"}
    )
    refused = client_for(alice).post_json(
        "/api/v1/communications/opt-outs/", {"channel": "sms", "address": "+254700000009"}
    )
    response = send(SEND.format(lead.id), {"message": "Hi", "channel": "email"})

    assert created.status_code == 201
    assert refused.status_code == 403
    assert OptOut.objects.count() == 1
    assert response.json()["results"][0]["status"] == "refused"
    assert response.json()["results"][0]["reason"] == "The recipient opted out of email."


def test_whatsapp_webhook_verification(api_client, settings):
    settings.MESSAGING_CALLBACK_TOKEN = "verify-me"
    url = "/api/v1/communications/callbacks/whatsapp/"

    ok = api_client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "123"})
    bad = api_client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "123"})

    assert ok.status_code == 200
    assert ok.content == b"123"
    assert bad.status_code == 401


def test_whatsapp_status_callback_marks_failures(api_client, settings, company):
    settings.MESSAGING_CALLBACK_TOKEN = "s3cret"
    delivery = Delivery.objects.create(
        company=company,
        channel="whatsapp",
        address="254700000000",
        body="x",
        status="sent",
        provider="whatsapp",
        provider_message_id="wamid.9",
    )
    body = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "statuses": [
                                {"id": "wamid.9", "status": "failed", "errors": [{"title": "Re-engagement message"}]}
                            ]
                        }
                    }
                ]
            }
        ]
    }

    response = api_client.post(
        "/api/v1/communications/callbacks/whatsapp/?token=s3cret", body, content_type="application/json"
    )

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("failed", "Re-engagement message")


# Consent, subjects, limits -------------------------------------------------------------


def test_a_marketing_send_reaches_only_recipients_who_consented(send, company):
    consented, declined = UserFactory(), UserFactory()
    CommunicationPreference.objects.create(user=consented, marketing_consent=True)
    CommunicationPreference.objects.create(user=declined, marketing_consent=False)
    leads = [
        LeadFactory(company=company, user=consented),
        LeadFactory(company=company, user=declined),
        LeadFactory(company=company),  # no account: no consent on record
    ]
    ids = [str(lead.id) for lead in leads]

    marketing = send(BULK, {"lead_ids": ids, "message": "20% off", "channel": "email", "purpose": "marketing"})
    transactional = send(BULK, {"lead_ids": ids, "message": "Your receipt", "channel": "email"})

    assert marketing.status_code == 200, marketing.content
    results = [(r["status"], r["reason"]) for r in marketing.json()["results"]]
    refusal = "The recipient has not consented to marketing messages."
    assert results == [("queued", ""), ("refused", refusal), ("refused", refusal)]
    assert transactional.json()["queued"] == 3


def test_a_subject_with_a_line_break_and_an_unknown_purpose_are_field_errors(send, company):
    lead = LeadFactory(company=company)

    multiline = send(SEND.format(lead.id), {"message": "Hi", "channel": "email", "subject": "Hi\nBcc: x@example.test"})
    purpose = send(SEND.format(lead.id), {"message": "Hi", "channel": "email", "purpose": "spam"})

    assert (multiline.status_code, purpose.status_code) == (400, 400)
    assert "subject" in str(multiline.json()["errors"])
    assert "purpose" in str(purpose.json()["errors"])
    assert not Delivery.objects.exists()


def test_too_many_bulk_recipients_is_a_field_error(send, settings):
    ids = [str(uuid7()) for _ in range(settings.MESSAGING_MAX_BULK_RECIPIENTS + 1)]

    response = send(BULK, {"lead_ids": ids, "message": "x", "channel": "sms"})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "lead_ids" in str(response.json()["errors"])
    assert not Delivery.objects.exists()


def test_idempotency_key_on_send_bulk_replays_the_answer_without_sending_again(send, company):
    leads = LeadFactory.create_batch(3, company=company)
    data = {"lead_ids": [str(lead.id) for lead in leads], "message": "Open house", "channel": "sms"}

    first = send(BULK, data, headers={"Idempotency-Key": "bulk-1"})
    replay = send(BULK, data, headers={"Idempotency-Key": "bulk-1"})
    other_key = send(BULK, data, headers={"Idempotency-Key": "bulk-2"})

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert Delivery.objects.filter(batch_id=first.json()["batch_id"]).count() == 3
    assert Delivery.objects.count() == 6
    assert other_key.json()["batch_id"] != first.json()["batch_id"]


# Opt-outs --------------------------------------------------------------------------------

OPT_OUTS = "/api/v1/communications/opt-outs/"


def test_phone_opt_outs_match_however_the_number_is_written(send, client_for, staff, company):
    spaced_lead = LeadFactory(company=company, phone="+254 700-000-001")
    plain_lead = LeadFactory(company=company, phone="+254700000002")
    api = client_for(staff)

    first = api.post_json(OPT_OUTS, {"channel": "sms", "address": "0700 000 001"})  # the local form
    second = api.post_json(OPT_OUTS, {"channel": "sms", "address": "+254-700-000-002"})
    again = api.post_json(OPT_OUTS, {"channel": "sms", "address": "254700000002"})
    response = send(BULK, {"lead_ids": [str(spaced_lead.id), str(plain_lead.id)], "message": "Hi", "channel": "sms"})

    assert (first.status_code, second.status_code, again.status_code) == (201, 201, 200)
    assert sorted(OptOut.objects.values_list("address", flat=True)) == ["+254700000001", "+254700000002"]
    assert [r["reason"] for r in response.json()["results"]] == ["The recipient opted out of sms."] * 2


def test_opt_outs_are_listed_per_company_and_lifted_by_delete(send, client_for, staff, other_staff, company, alice):
    lead = LeadFactory(company=company, email="lead@example.test")
    recorded = client_for(staff).post_json(OPT_OUTS, {"channel": "email", "address": "Lead@Example.test"}).json()
    client_for(other_staff).post_json(OPT_OUTS, {"channel": "sms", "address": "+15550000000"})

    mine = client_for(staff).get(OPT_OUTS)
    theirs = client_for(other_staff).get(OPT_OUTS, {"channel": "email"})
    customer = client_for(alice).get(OPT_OUTS)
    foreign_delete = client_for(other_staff).delete(f"{OPT_OUTS}{recorded['id']}/")
    delete = client_for(staff).delete(f"{OPT_OUTS}{recorded['id']}/")
    response = send(SEND.format(lead.id), {"message": "Hi", "channel": "email"})

    assert mine.status_code == 200
    assert [(o["address"], o["company_id"]) for o in mine.json()["results"]] == [("lead@example.test", str(company.id))]
    assert theirs.json()["count"] == 0
    assert customer.status_code == 403
    assert foreign_delete.status_code == 404
    assert delete.status_code == 204
    assert OptOut.objects.count() == 1
    assert response.json()["results"][0]["status"] == "queued"


def test_a_whatsapp_template_is_kept_on_the_delivery_and_refused_on_other_channels(send, company):
    lead = LeadFactory(company=company)
    template = {"name": "viewing_reminder", "language": "en_US", "parameters": ["Tuesday 10:00"]}

    ok = send(
        SEND.format(lead.id), {"message": "Viewing on Tuesday 10:00", "channel": "whatsapp", "template": template}
    )
    refused = send(SEND.format(lead.id), {"message": "Viewing", "channel": "sms", "template": template})
    bad_name = send(SEND.format(lead.id), {"message": "Hi", "channel": "whatsapp", "template": {"name": "Not Valid!"}})

    assert ok.status_code == 200, ok.content
    assert Delivery.objects.get().template == template
    assert refused.status_code == bad_name.status_code == 400
    assert refused.json()["code"] == "VALIDATION_ERROR"
    assert "template" in str(refused.json())
    assert Delivery.objects.count() == 1
