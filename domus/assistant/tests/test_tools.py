"""Tools over Domus' own data: the plain-language listing search, "my invoices / my
lease" and lead lookups, each with the caller's permissions."""

from decimal import Decimal

import pytest

from domus.assistant.tests.helpers import ASSIST
from domus.assistant.tools import parse_listing_query
from domus.properties.tests.factories import FeatureFactory, ListingFactory


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        (
            "3-bed in Westlands under 80k with parking",
            {"min_bedrooms": 3, "search": "Westlands", "max_price": Decimal(80000), "features": "parking"},
        ),
        (
            "two bedroom apartment for rent in Nairobi between 50k and 90,000",
            {
                "min_bedrooms": 2,
                "property_type": "apartment",
                "listing_type": "rent",
                "city": "Nairobi",
                "min_price": Decimal(50000),
                "max_price": Decimal(90000),
            },
        ),
        (
            "house for sale over 20m with a pool and garden",
            {
                "property_type": "house",
                "listing_type": "sale",
                "min_price": Decimal(20_000_000),
                "features": "garden,swimming-pool",
            },
        ),
    ],
)
def test_plain_language_resolves_to_the_listing_search_filters(text, filters):
    assert parse_listing_query(text, known_cities={"Nairobi", "Mombasa"}).filters == filters


@pytest.mark.once
def test_a_sentence_without_listing_words_states_no_filters():
    assert parse_listing_query("When is rent due?").filters == {}


def test_the_assistant_runs_the_listing_search_and_shows_the_filters(client_for, user, db):
    parking = FeatureFactory(name="Parking", slug="parking")
    match = ListingFactory(title="Westlands garden flat", bedrooms=3, price=Decimal(75000), listing_type="rent")
    match.features.set([parking])
    ListingFactory(title="Westlands loft", bedrooms=1, price=Decimal(60000), listing_type="rent").features.set(
        [parking]
    )
    ListingFactory(title="Westlands villa", bedrooms=4, price=Decimal(250000), listing_type="rent").features.set(
        [parking]
    )
    ListingFactory(title="Westlands walk-up", bedrooms=3, price=Decimal(70000), listing_type="rent")

    body = client_for(user).post_json(ASSIST, {"question": "3-bed in Westlands under 80k with parking"}).json()

    tool = body["tool_results"][0]
    assert tool["tool"] == "listing_search"
    assert tool["filters"] == {"min_bedrooms": 3, "search": "Westlands", "max_price": "80000.00", "features": "parking"}
    assert [row["title"] for row in tool["results"]] == ["Westlands garden flat"]
    assert "Westlands garden flat" in body["answer"]
    assert body["grounded"] is True


def test_my_lease_and_my_invoices_are_the_callers_own(client_for, tenant, lease, stranger):
    body = client_for(tenant).post_json(ASSIST, {"question": "What are the terms of my lease?"}).json()
    leases = next(t for t in body["tool_results"] if t["tool"] == "my_lease")
    assert [row["id"] for row in leases["results"]] == [str(lease.pk)]
    body = client_for(stranger).post_json(ASSIST, {"question": "Show my lease"}).json()
    assert next(t for t in body["tool_results"] if t["tool"] == "my_lease")["results"] == []
    body = client_for(tenant).post_json(ASSIST, {"question": "Do I have unpaid invoices? Show my invoices"}).json()
    assert next(t for t in body["tool_results"] if t["tool"] == "my_invoices")["results"] == []


def test_lead_lookups_see_only_the_agents_company(client_for, agent, other_staff, company, other_company):
    from domus.crm.tests.factories import LeadFactory

    LeadFactory(company=company, name="Wanjiru Kamau", assigned_agent=agent)
    LeadFactory(company=other_company, name="Wanjiru Otieno")
    body = client_for(agent).post_json(ASSIST, {"question": "Find the lead named Wanjiru"}).json()
    leads = next(t for t in body["tool_results"] if t["tool"] == "lead_lookup")
    assert [row["name"] for row in leads["results"]] == ["Wanjiru Kamau"]
    body = client_for(other_staff).post_json(ASSIST, {"question": "Find the lead named Wanjiru"}).json()
    leads = next(t for t in body["tool_results"] if t["tool"] == "lead_lookup")
    assert [row["name"] for row in leads["results"]] == ["Wanjiru Otieno"]
