"""The whole pipeline through HTTP only: contact form -> lead -> qualified -> viewing ->
offer -> counter -> accepted -> contract generated and signed -> deal closed ->
commission -> funnel."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from domus.sales.models import Contract


def test_contact_form_to_commission_and_funnel(api_client, client_for, company, staff, agent, customer, listing):
    agent_api, staff_api, customer_api = client_for(agent), client_for(staff), client_for(customer)

    # A customer writes through the public contact form about the listing.
    captured = customer_api.post_json(
        "/api/marketing/contact/",
        {
            "name": "Amina Njeri",
            "email": customer.email,
            "phone": "+254711222333",
            "message": "Can I view it?",
            "listing_id": str(listing.id),
            "budget_min": "90000",
            "budget_max": "110000",
        },
    )
    assert captured.status_code == 201, captured.content
    leads = agent_api.get("/api/v1/crm/leads/").json()["results"]
    assert [lead["email"] for lead in leads] == [customer.email]
    lead_id = leads[0]["id"]

    # The only agent of the company got the lead and qualifies it after a call.
    lead = agent_api.get(f"/api/v1/crm/leads/{lead_id}/").json()
    assert lead["assigned_agent_id"] == str(agent.id)
    assert lead["user_id"] == str(customer.id)
    assert {rule["rule"] for rule in lead["score_breakdown"]} == {
        "budget_fit",
        "engagement",
        "recency",
        "source_quality",
        "completeness",
    }
    call = agent_api.post_json(f"/api/v1/crm/leads/{lead_id}/activities/", {"kind": "call", "note": "Keen buyer"})
    assert call.status_code == 201
    qualified = agent_api.patch_json(f"/api/v1/crm/leads/{lead_id}/", {"status": "qualified"})
    assert qualified.status_code == 200
    assert qualified.json()["score"] > lead["score"]

    # The agent opens a deal, then the customer books a viewing that the agent confirms.
    deal = agent_api.post_json(
        "/api/transactions", {"listing_id": str(listing.id), "lead_id": lead_id, "note": "Qualified on the phone"}
    )
    assert deal.status_code == 201, deal.content
    deal_id = deal.json()["id"]
    starts = (timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    visit = customer_api.post_json(
        "/api/v1/properties/visits/",
        {
            "listing_id": str(listing.id),
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        },
    )
    assert visit.status_code == 201, visit.content
    assert agent_api.post(f"/api/v1/properties/visits/{visit.json()['id']}/confirm/").status_code == 200
    assert agent_api.patch_json(f"/api/transactions/{deal_id}/status", {"status": "viewing"}).status_code == 200

    # The customer offers, the seller's agent counters, the customer accepts the counter.
    offer = customer_api.post_json(
        "/api/v1/sales/offers/", {"listing_id": str(listing.id), "amount": "95000.00", "conditions": "Mortgage"}
    )
    assert offer.status_code == 201, offer.content
    counter = agent_api.post_json(f"/api/v1/sales/offers/{offer.json()['id']}/counter/", {"amount": "98000.00"})
    assert counter.status_code == 201, counter.content
    assert counter.json()["parent_id"] == offer.json()["id"]
    accepted = customer_api.post(f"/api/v1/sales/offers/{counter.json()['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert client_for(staff).get(f"/api/v1/properties/{listing.id}/").json()["status"] == "under_offer"
    moved = agent_api.patch_json(
        f"/api/transactions/{deal_id}/status", {"status": "offer", "offer_id": counter.json()["id"]}
    )
    assert moved.status_code == 200
    assert moved.json()["amount"] == "98000.00"

    # A contract is drawn from the accepted offer, sent and signed by the customer.
    contract = agent_api.post_json(
        "/api/v1/sales/contracts/", {"offer_id": counter.json()["id"], "terms": "Completion within 60 days."}
    )
    assert contract.status_code == 201, contract.content
    contract_id = contract.json()["id"]
    assert contract.json()["price"] == "98000.00"
    assert agent_api.post(f"/api/v1/sales/contracts/{contract_id}/send/").status_code == 200
    signed = customer_api.post(f"/api/v1/sales/contracts/{contract_id}/sign/", REMOTE_ADDR="203.0.113.9")
    assert signed.status_code == 200, signed.content
    assert (signed.json()["status"], signed.json()["signed_by_id"], signed.json()["signed_ip"]) == (
        "signed",
        str(customer.id),
        "203.0.113.9",
    )
    document = customer_api.get(f"/api/v1/sales/contracts/{contract_id}/document/")
    assert document["Content-Type"] == "application/pdf"
    assert hashlib.sha256(document.content).hexdigest() == signed.json()["document_sha256"]
    assert Contract.objects.get(pk=contract_id).document_sha256 == signed.json()["document_sha256"]

    # The deal goes under contract and closes; the commission appears.
    under_contract = agent_api.patch_json(
        f"/api/transactions/{deal_id}/status", {"status": "under_contract", "contract_id": contract_id}
    )
    assert under_contract.status_code == 200
    closed = staff_api.patch_json(f"/api/transactions/{deal_id}/status", {"status": "closed_won", "note": "Done"})
    assert closed.status_code == 200, closed.content
    assert [(h["from_status"], h["to_status"]) for h in closed.json()["history"]] == [
        ("", "lead"),
        ("lead", "viewing"),
        ("viewing", "offer"),
        ("offer", "under_contract"),
        ("under_contract", "closed_won"),
    ]
    commissions = agent_api.get("/api/v1/sales/commissions/").json()["results"]
    assert {c["agent_id"] for c in commissions} == {str(agent.id)}
    assert sum(Decimal(c["amount"]) for c in commissions) == Decimal("2352.00")  # 80% of 3% of 98,000
    deals = staff_api.get("/api/transactions").json()["results"]
    assert deals[0]["status"] == "closed_won"
    assert deals[0]["commission_total"] == "2940.00"  # 3% of 98,000

    # The funnel counts the won lead at every stage.
    funnel = staff_api.get("/api/v1/stats/conversion-funnel/").json()
    assert {s["stage"]: s["count"] for s in funnel["stages"]} == {
        "new": 1,
        "contacted": 1,
        "qualified": 1,
        "proposal": 1,
        "negotiation": 1,
        "won": 1,
    }
    assert funnel["overall_conversion_rate"] == 1.0
