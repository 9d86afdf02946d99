"""What a deal pays is not the agent's to say: commission rates are set by company staff,
the listing agent is the listing's, and a deal closes won only through an accepted offer
or a signed contract, at its amount."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from domus.accounts.tests.factories import AgentProfileFactory
from domus.core.exceptions import ErrorCode
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory
from domus.sales.models import Commission, Contract, ContractStatus, Deal, DealStatus, OfferStatus
from domus.sales.tests.factories import OfferFactory

URL = "/api/v1/sales/deals/"


def _status(api, deal_id, **body):
    return api.patch_json(f"{URL}{deal_id}/status/", body)


def _under_contract(api, listing, **extra) -> str:
    """A deal moved to under_contract by ``api``; answers its id."""
    created = api.post_json(URL, {"listing_id": str(listing.id), **extra})
    assert created.status_code == 201, created.content
    deal_id = created.json()["id"]
    for status in ("offer", "under_contract"):
        assert _status(api, deal_id, status=status).status_code == 200
    return deal_id


def _signed_contract(offer, price: str, signer) -> Contract:
    return Contract.objects.create(
        company=offer.company,
        offer=offer,
        listing=offer.listing,
        title="Sale",
        price=Decimal(price),
        status=ContractStatus.SIGNED,
        signed_at=timezone.now(),
        signed_by=signer,
        document_sha256="0" * 64,
    )


def test_an_agent_cannot_write_a_commission_rate_on_a_deal(client_for, agent2, staff, listing):
    refused = client_for(agent2).post_json(URL, {"listing_id": str(listing.id), "commission_rate": "100"})

    assert refused.status_code == 403
    assert refused.json()["code"] == ErrorCode.PERMISSION_ERROR
    assert list(refused.json()["errors"]) == ["commission_rate"]
    assert not Deal.objects.exists()
    allowed = client_for(staff).post_json(URL, {"listing_id": str(listing.id), "commission_rate": "2.5"})
    assert (allowed.status_code, allowed.json()["commission_rate"]) == (201, "2.50")


def test_the_listing_agent_is_the_listings_and_not_the_callers(client_for, agent, agent2, listing):
    api = client_for(agent2)

    hijack = api.post_json(URL, {"listing_id": str(listing.id), "listing_agent_id": str(agent2.id)})
    same = api.post_json(URL, {"listing_id": str(listing.id), "listing_agent_id": str(agent.id)})

    assert hijack.status_code == 400
    assert list(hijack.json()["errors"]) == ["listing_agent_id"]
    assert same.status_code == 201
    assert list(Deal.objects.values_list("listing_agent_id", "selling_agent_id")) == [(agent.id, agent2.id)]


def test_a_deal_without_an_accepted_offer_or_signed_contract_does_not_close_won(client_for, agent2, listing):
    api = client_for(agent2)
    deal_id = _under_contract(api, listing, amount="500000")
    pending = OfferFactory(listing=listing, amount=Decimal("400000"))

    bare = _status(api, deal_id, status="closed_won")
    through_pending = _status(api, deal_id, status="closed_won", offer_id=str(pending.id))

    assert (bare.status_code, through_pending.status_code) == (409, 409)
    assert bare.json()["detail"] == "A deal closes won only through an accepted offer or a signed contract."
    deal = Deal.objects.get(pk=deal_id)
    assert (deal.status, deal.offer_id, deal.amount) == (DealStatus.UNDER_CONTRACT, None, Decimal("500000.00"))
    assert not Commission.objects.exists()


def test_the_amount_cannot_change_at_closing(client_for, staff, listing):
    api = client_for(staff)
    offer = OfferFactory(listing=listing, amount=Decimal("90000"), status=OfferStatus.ACCEPTED)
    deal_id = _under_contract(api, listing)

    inflated = _status(api, deal_id, status="closed_won", offer_id=str(offer.id), amount="9000000")

    assert inflated.status_code == 400
    assert list(inflated.json()["errors"]) == ["amount"]
    assert Deal.objects.get(pk=deal_id).status == DealStatus.UNDER_CONTRACT
    assert not Commission.objects.exists()


def test_closing_through_an_accepted_offer_pays_on_the_offers_amount(client_for, agent, listing):
    api = client_for(agent)
    offer = OfferFactory(listing=listing, amount=Decimal("90000"), status=OfferStatus.ACCEPTED)
    deal_id = _under_contract(api, listing, amount="900000")  # an amount written earlier does not count

    closed = _status(api, deal_id, status="closed_won", offer_id=str(offer.id))

    assert closed.status_code == 200, closed.content
    assert (closed.json()["amount"], closed.json()["commission_total"]) == ("90000.00", "2700.00")  # 3%
    assert sum(c.amount for c in Commission.objects.all()) == Decimal("2700.00")


def test_a_signed_contract_closes_at_its_price(client_for, agent, customer, listing):
    api = client_for(agent)
    offer = OfferFactory(listing=listing, amount=Decimal("90000"), status=OfferStatus.ACCEPTED)
    contract = _signed_contract(offer, "95000", customer)
    deal_id = _under_contract(api, listing)
    assert _status(api, deal_id, status="offer", contract_id=str(contract.id), amount="1").status_code == 200
    assert _status(api, deal_id, status="under_contract").status_code == 200

    closed = _status(api, deal_id, status="closed_won")

    assert closed.status_code == 200, closed.content
    assert (closed.json()["amount"], closed.json()["offer_id"]) == ("95000.00", str(offer.id))
    assert sum(c.amount for c in Commission.objects.all()) == Decimal("2850.00")


def test_one_sale_closes_one_deal(client_for, agent, agent2, listing):
    offer = OfferFactory(listing=listing, amount=Decimal("90000"), status=OfferStatus.ACCEPTED)
    first = _under_contract(client_for(agent), listing)
    second = _under_contract(client_for(agent2), listing)
    assert _status(client_for(agent), first, status="closed_won", offer_id=str(offer.id)).status_code == 200

    again = _status(client_for(agent2), second, status="closed_won", offer_id=str(offer.id))

    assert again.status_code == 409
    assert list(again.json()["errors"]) == ["offer_id"]
    assert Deal.objects.get(pk=second).status == DealStatus.UNDER_CONTRACT
    assert set(Commission.objects.values_list("deal_id", flat=True)) == {Deal.objects.get(pk=first).pk}


def test_an_agent_profile_rate_set_for_another_company_does_not_apply(client_for, agent, listing):
    AgentProfileFactory(user=agent, company=CompanyFactory(), commission_rate=Decimal("50.00"))
    api = client_for(agent)
    offer = OfferFactory(listing=listing, amount=Decimal("100000"), status=OfferStatus.ACCEPTED)
    deal_id = _under_contract(api, listing)

    closed = _status(api, deal_id, status="closed_won", offer_id=str(offer.id))

    assert closed.json()["commission_total"] == "3000.00"  # the default 3%, not the other company's 50%


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deals_closing_on_one_offer_at_once_exactly_one_wins(client_for, settings):
    settings.RATE_LIMITS_ENABLED = False
    company = CompanyFactory()
    staff = MembershipFactory(company=company, role=Role.STAFF).user
    listing = ListingFactory(company=company)
    offer = OfferFactory(listing=listing, amount=Decimal("90000"), status=OfferStatus.ACCEPTED)
    deal_ids = [_under_contract(client_for(staff), listing) for _ in range(2)]
    clients = [client_for(staff), client_for(staff)]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def close(client, deal_id) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(_status(client, deal_id, status="closed_won", offer_id=str(offer.id)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=pair) for pair in zip(clients, deal_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    assert Deal.objects.filter(status=DealStatus.CLOSED_WON).count() == 1
    assert Commission.objects.values("deal_id").distinct().count() == 1
