"""A small estate for the page tests: a company with staff and an agent, an owner, a
tenant with an active lease and a sent invoice, and public listings in two cities."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import ClientFactory
from domus.finance import services as finance_services
from domus.leasing import services as leasing_services
from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import FeatureFactory, ListingFactory, UnitFactory

PASSWORD = "Sturdy-Pass-2024!"


@dataclass
class Estate:
    company: Any
    staff: Any
    agent: Any
    owner: Any
    tenant: Any
    other_tenant: Any
    listings: list[Any]
    rental: Any
    lease: Any
    invoice: Any


@pytest.fixture(autouse=True)
def _pages_settings(settings) -> None:
    settings.RATE_LIMITS_ENABLED = False  # the rate-limit test turns them back on
    settings.WEB_MAP_TILE_URL = ""  # never a tile request from a test


def make_estate() -> Estate:
    company = CompanyFactory(name="Riverside Homes", currency="KES")
    staff = MembershipFactory(company=company, role=Role.STAFF).user
    agent = MembershipFactory(
        company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT, first_name="Amina")
    ).user
    owner = UserFactory(role=Role.OWNER, email="owner@example.test", username="owner", first_name="Otieno")
    tenant = UserFactory(role=Role.TENANT, email="tenant@example.test", username="tenant", phone="+254712345678")
    other_tenant = UserFactory(role=Role.TENANT, email="other@example.test", username="other")
    for user in (owner, tenant, other_tenant):
        user.set_password(PASSWORD)
        user.save()
    ClientFactory(company=company, user=tenant)
    ClientFactory(company=company, user=other_tenant)
    garden = FeatureFactory(name="Garden", slug="garden")
    parking = FeatureFactory(name="Parking", slug="parking")
    spots = [
        ("Kilimani garden flat", "Nairobi", -1.2900, 36.7800, "apartment", "sale", 9_500_000, 2, [garden]),
        ("Westlands penthouse", "Nairobi", -1.2650, 36.8050, "apartment", "sale", 25_000_000, 4, [parking]),
        ("Karen family house", "Nairobi", -1.3200, 36.7100, "house", "sale", 48_000_000, 5, [garden, parking]),
        ("Nyali beach villa", "Mombasa", -4.0400, 39.7100, "villa", "sale", 60_000_000, 5, [garden]),
        ("Bamburi studio", "Mombasa", -3.9800, 39.7300, "apartment", "rent", 25_000, 1, []),
    ]
    listings = [
        ListingFactory(
            title=title,
            city=city,
            latitude=Decimal(str(lat)),
            longitude=Decimal(str(lng)),
            property_type=kind,
            listing_type=deal,
            price=Decimal(price),
            bedrooms=beds,
            company=company,
            owner=owner,
            agent=agent,
            features=features,
        )
        for title, city, lat, lng, kind, deal, price, beds, features in spots
    ]
    rental = ListingFactory(
        title="Lavington two-bedroom",
        city="Nairobi",
        latitude=Decimal("-1.2780"),
        longitude=Decimal("36.7700"),
        listing_type="rent",
        price=Decimal("30000"),
        company=company,
        owner=owner,
        agent=agent,
    )
    listings.append(rental)
    today = timezone.localdate()
    lease = LeaseFactory(
        listing=rental,
        unit=UnitFactory(listing=rental, unit_number="B2"),
        tenant=tenant,
        start_date=today.replace(day=1),
        end_date=today.replace(day=1) + timedelta(days=364),
        rent_amount=Decimal("30000.00"),
    )
    lease = leasing_services.lease_activate(actor=staff, lease=lease)
    invoice = finance_services.invoice_create(
        actor=staff,
        company_id=company.pk,
        recipient=tenant,
        due_date=today + timedelta(days=5),
        lines=[{"description": "Rent", "quantity": Decimal(1), "unit_price": Decimal("30000.00")}],
    )
    invoice = finance_services.invoice_send(actor=staff, invoice=invoice)
    return Estate(company, staff, agent, owner, tenant, other_tenant, listings, rental, lease, invoice)


@pytest.fixture
def estate(db) -> Estate:
    return make_estate()
