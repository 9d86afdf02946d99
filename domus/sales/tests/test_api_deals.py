from decimal import Decimal

import pytest

from domus.accounts.tests.factories import AgentProfileFactory
from domus.crm.tests.factories import LeadFactory
from domus.sales.models import Commission, Deal, DealStatus, DealStatusChange, OfferStatus
from domus.sales.tests.factories import OfferFactory

URL = "/api/v1/sales/deals/"
ALIAS = "/api/v1/transactions"


@pytest.fixture
def deal(client_for, agent, listing):
    response = client_for(agent).post_json(ALIAS, {"listing_id": str(listing.id), "amount": "200000"})
    assert response.status_code == 201, response.content
    return Deal.objects.get(pk=response.json()["id"])


def test_recording_a_deal_starts_its_history(deal, agent, listing):
    assert (deal.status, deal.selling_agent_id, deal.listing_agent_id, deal.amount) == (
        "lead",
        agent.id,
        listing.agent_id,
        Decimal("200000.00"),
    )
    assert list(DealStatusChange.objects.values_list("from_status", "to_status")) == [("", "lead")]


def test_an_invalid_move_is_a_409_with_the_allowed_next_states(client_for, agent, deal):
    response = client_for(agent).patch_json(f"{ALIAS}/{deal.id}/status", {"status": "closed_won"})

    assert response.status_code == 409
    assert response.json()["errors"]["allowed_next_statuses"] == ["viewing", "offer", "closed_lost"]
    deal.refresh_from_db()
    assert deal.status == "lead"
    assert DealStatusChange.objects.count() == 1


def test_closed_deals_do_not_move(client_for, staff, deal):
    api = client_for(staff)
    assert api.patch_json(f"{URL}{deal.id}/status/", {"status": "closed_lost", "note": "Walked"}).status_code == 200

    response = api.patch_json(f"{URL}{deal.id}/status/", {"status": "viewing"})

    assert response.status_code == 409
    assert response.json()["errors"]["allowed_next_statuses"] == []
    history = api.get(f"{URL}{deal.id}/history/").json()
    assert [(h["to_status"], h["note"], h["changed_by_id"]) for h in history][-1] == (
        "closed_lost",
        "Walked",
        str(staff.id),
    )
    assert not Commission.objects.exists()


def _close(api, deal) -> dict:
    """Close the deal won through an accepted offer of its amount (attached at the offer step)."""
    offer = OfferFactory(listing=deal.listing, amount=deal.amount, status=OfferStatus.ACCEPTED)
    for step in (
        {"status": "offer", "offer_id": str(offer.id)},
        {"status": "under_contract"},
        {"status": "closed_won"},
    ):
        response = api.patch_json(f"{URL}{deal.id}/status/", step)
        assert response.status_code == 200, response.content
    return response.json()


def test_closing_won_splits_the_commission_by_the_agents_rate(client_for, staff, company, agent, agent2, listing):
    AgentProfileFactory(user=agent2, company=company, commission_rate=Decimal("5.00"))
    api = client_for(staff)
    created = api.post_json(
        URL, {"listing_id": str(listing.id), "amount": "1000000", "selling_agent_id": str(agent2.id)}
    ).json()
    deal = Deal.objects.get(pk=created["id"])

    closed = _close(api, deal)

    rows = {c.role: c for c in Commission.objects.filter(deal=deal)}
    assert {role: (c.agent_id, c.share, c.amount) for role, c in rows.items()} == {
        "listing_agent": (agent.id, Decimal("40.00"), Decimal("20000.00")),
        "selling_agent": (agent2.id, Decimal("40.00"), Decimal("20000.00")),
        "company": (None, Decimal("20.00"), Decimal("10000.00")),
    }
    assert closed["commission_total"] == "50000.00"


def test_the_deals_rate_wins_and_amounts_add_up(client_for, staff, listing):
    listing.agent = None
    listing.save()
    api = client_for(staff)
    deal = Deal.objects.get(
        pk=api.post_json(URL, {"listing_id": str(listing.id), "amount": "333333.33", "commission_rate": "2.5"}).json()[
            "id"
        ]
    )

    _close(api, deal)

    rows = list(Commission.objects.filter(deal=deal))
    assert [(c.role, c.amount) for c in rows] == [("company", Decimal("8333.33"))]


def test_closing_won_marks_the_lead_won(client_for, agent, listing, company):
    lead = LeadFactory(company=company, assigned_agent=agent)
    api = client_for(agent)
    deal = Deal.objects.get(
        pk=api.post_json(URL, {"listing_id": str(listing.id), "lead_id": str(lead.id)}).json()["id"]
    )

    _close(api, deal)

    lead.refresh_from_db()
    assert (lead.status, lead.stage_reached) == ("won", 5)


def test_only_the_deals_agents_and_staff_move_it(client_for, agent2, other_staff, deal):
    assert client_for(agent2).patch_json(f"{URL}{deal.id}/status/", {"status": "viewing"}).status_code == 404
    assert client_for(other_staff).patch_json(f"{URL}{deal.id}/status/", {"status": "viewing"}).status_code == 404
    deal.refresh_from_db()
    assert deal.status == DealStatus.LEAD


def test_customers_cannot_record_deals_and_deals_start_open(client_for, customer, staff, listing):
    assert client_for(customer).post_json(URL, {"listing_id": str(listing.id)}).status_code == 403
    closed = client_for(staff).post_json(URL, {"listing_id": str(listing.id), "status": "closed_won"})
    assert closed.status_code == 400
    assert not Deal.objects.exists()


def test_another_companys_listing_is_refused(client_for, other_staff, listing):
    response = client_for(other_staff).post_json(URL, {"listing_id": str(listing.id)})

    assert response.status_code == 404
    assert not Deal.objects.exists()


def test_deal_list_shows_status_and_commission_with_pinned_queries(
    client_for, staff, listing, django_assert_num_queries
):
    api = client_for(staff)
    for amount in ("100000", "200000"):
        api.post_json(URL, {"listing_id": str(listing.id), "amount": amount})

    with django_assert_num_queries(3):
        body = api.get(ALIAS, {"ordering": "-amount"}).json()

    assert [(d["amount"], d["status"], d["commission_total"]) for d in body["results"]] == [
        ("200000.00", "lead", None),
        ("100000.00", "lead", None),
    ]
