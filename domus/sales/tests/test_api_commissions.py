from decimal import Decimal

import pytest

from domus.sales.models import Commission, CommissionStatus, Deal, OfferStatus
from domus.sales.tests.factories import OfferFactory

URL = "/api/v1/sales/commissions/"


@pytest.fixture
def commissions(client_for, staff, listing, agent2):
    api = client_for(staff)
    deal_id = api.post_json(
        "/api/v1/sales/deals/", {"listing_id": str(listing.id), "amount": "100000", "selling_agent_id": str(agent2.id)}
    ).json()["id"]
    offer = OfferFactory(listing=listing, amount=Decimal("100000"), status=OfferStatus.ACCEPTED)
    for step in (
        {"status": "offer", "offer_id": str(offer.id)},
        {"status": "under_contract"},
        {"status": "closed_won"},
    ):
        assert api.patch_json(f"/api/v1/sales/deals/{deal_id}/status/", step).status_code == 200
    return {c.role: c for c in Commission.objects.filter(deal=Deal.objects.get(pk=deal_id))}


def test_agents_see_their_own_commissions_staff_all(client_for, agent, agent2, staff, other_staff, commissions):
    def listed(user) -> set[str]:
        return {row["role"] for row in client_for(user).get(URL).json()["results"]}

    assert listed(agent) == {"listing_agent"}
    assert listed(agent2) == {"selling_agent"}
    assert listed(staff) == {"listing_agent", "selling_agent", "company"}
    assert listed(other_staff) == set()


def test_agents_cannot_approve(client_for, agent, commissions):
    own = commissions["listing_agent"]

    response = client_for(agent).post(f"{URL}{own.id}/approve/")

    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == CommissionStatus.PENDING


def test_staff_approve_then_pay(client_for, staff, commissions, audit_log):
    row = commissions["selling_agent"]
    api = client_for(staff)

    assert api.post(f"{URL}{row.id}/pay/").status_code == 409  # not approved yet
    approved = api.post(f"{URL}{row.id}/approve/")
    paid = api.post(f"{URL}{row.id}/pay/")

    assert approved.json()["approved_by_id"] == str(staff.id)
    assert paid.json()["status"] == "paid"
    assert api.post(f"{URL}{row.id}/approve/").status_code == 409
    assert Decimal(paid.json()["amount"]) == Decimal("1200.00")
    assert list(
        audit_log.objects.filter(resource_id=str(row.id)).order_by("created_at").values_list("action", flat=True)
    ) == ["create", "approve", "pay"]


def test_commission_list_pins_queries(client_for, staff, commissions, django_assert_num_queries):
    api = client_for(staff)

    with django_assert_num_queries(3):
        assert api.get(URL, {"status": "pending"}).json()["count"] == 3
