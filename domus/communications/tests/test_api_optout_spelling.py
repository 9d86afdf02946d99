"""An opt-out stops every spelling of its recipient: a number dialled out with ``00`` or
the region's own prefix, an e-mail sub-address (``+tag``) in any case."""

import pytest

from domus.communications.models import Delivery, OptOut
from domus.crm.tests.factories import LeadFactory

BULK = "/api/v1/communication/send-bulk/"
OPT_OUTS = "/api/v1/communications/opt-outs/"


@pytest.fixture
def send(client_for, staff, django_capture_on_commit_callbacks):
    api = client_for(staff)

    def post(lead_ids, channel):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post_json(
                BULK, {"lead_ids": [str(i) for i in lead_ids], "message": "Hi", "channel": channel}
            )
        assert response.status_code == 200, response.content
        return {r["lead_id"]: (r["status"], r["reason"]) for r in response.json()["results"]}

    return post


def test_a_dialled_out_number_matches_its_opt_out_and_is_sent_in_e164(client_for, staff, company, send):
    # Stored as typed (imports and older rows are not normalised).
    dialled = LeadFactory(company=company, phone="00254700000001")
    kenyan_prefix = LeadFactory(company=company, phone="000254700000002")
    opted_dialled = LeadFactory(company=company, phone="+254700000003")
    free = LeadFactory(company=company, phone="00 254 700 000 009")
    api = client_for(staff)
    assert api.post_json(OPT_OUTS, {"channel": "sms", "address": "+254700000001"}).status_code == 201
    assert api.post_json(OPT_OUTS, {"channel": "sms", "address": "+254700000002"}).status_code == 201
    assert api.post_json(OPT_OUTS, {"channel": "sms", "address": "00254700000003"}).status_code == 201

    results = send([dialled.id, kenyan_prefix.id, opted_dialled.id, free.id], "sms")

    refused = ("refused", "The recipient opted out of sms.")
    assert [results[str(lead.id)] for lead in (dialled, kenyan_prefix, opted_dialled)] == [refused] * 3
    assert results[str(free.id)][0] == "queued"
    assert sorted(OptOut.objects.values_list("address", flat=True)) == [
        "+254700000001",
        "+254700000002",
        "+254700000003",
    ]
    assert Delivery.objects.get(lead=free).address == "+254700000009"


def test_an_email_opt_out_covers_every_sub_address_of_the_mailbox(client_for, staff, company, send):
    jane = LeadFactory(company=company, email="Jane@X.com")
    bob_news = LeadFactory(company=company, email="bob+news@x.com")
    janet = LeadFactory(company=company, email="janet@x.com")
    api = client_for(staff)
    recorded = api.post_json(OPT_OUTS, {"channel": "email", "address": "jane+Promo@x.com"})
    assert recorded.status_code == 201
    assert api.post_json(OPT_OUTS, {"channel": "email", "address": "BOB@x.com"}).status_code == 201
    again = api.post_json(OPT_OUTS, {"channel": "email", "address": "jane@X.COM"})

    results = send([jane.id, bob_news.id, janet.id], "email")

    assert (recorded.json()["address"], again.status_code, again.json()["id"]) == (
        "jane@x.com",
        200,
        recorded.json()["id"],
    )
    refused = ("refused", "The recipient opted out of email.")
    assert (results[str(jane.id)], results[str(bob_news.id)]) == (refused, refused)
    assert results[str(janet.id)][0] == "queued"
    assert Delivery.objects.get(lead=bob_news).address == "bob+news@x.com"  # sent as written, never rewritten
