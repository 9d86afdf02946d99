"""Funnel, collections and arrears, occupancy, maintenance turnaround and engagement:
numbers equal to totals worked out by hand on a small fixture, and another company's
rows never counted."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
IN = datetime(2026, 1, 10, 9, tzinfo=UTC)
BASE = "/api/v1/analytics/"


def model(label: str):
    return apps.get_model(*label.split("."))


@pytest.fixture
def alpha(db):
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Beta")
    staff = MembershipFactory(company=a, role=Role.STAFF).user
    return {"a": a, "b": b, "staff": staff, "listing": ListingFactory(company=a), "other": ListingFactory(company=b)}


def _deal(company, listing, lead, moves: dict[str, datetime], commission_at: datetime | None = None):
    deal = model("sales.Deal").objects.create(
        company=company, listing=listing, lead=lead, amount=Decimal(1000), currency="KES", status="lead"
    )
    for status, when in moves.items():
        model("sales.DealStatusChange").objects.create(deal=deal, from_status="", to_status=status, changed_at=when)
    if commission_at:
        model("sales.Commission").objects.create(
            company=company, deal=deal, agent=UserFactory(role=Role.AGENT), role="selling_agent", rate=Decimal(3),
            share=Decimal(100), amount=Decimal(30), currency="KES", created_at=commission_at,
        )  # fmt: skip
    return deal


def test_funnel_counts_stages_per_source_and_the_hours_between_them(client_for, alpha):
    a, listing = alpha["a"], alpha["listing"]
    l1 = LeadFactory(company=a, source="contact_form", created_at=IN)
    l2 = LeadFactory(company=a, source="contact_form", created_at=IN)
    LeadFactory(company=a, source="campaign", created_at=IN)
    day = timedelta(days=1)
    _deal(a, listing, l1, {"viewing": IN + day, "offer": IN + 3 * day, "closed_won": IN + 5 * day}, IN + 6 * day)
    _deal(a, listing, l2, {"offer": IN + 2 * day})  # straight to an offer: counts as past the viewing
    other = LeadFactory(company=alpha["b"], source="contact_form", created_at=IN)
    _deal(alpha["b"], alpha["other"], other, {"viewing": IN + day})

    body = client_for(alpha["staff"]).get(BASE + "funnel/", JANUARY).json()

    assert body["stages"] == ["lead", "viewing", "offer", "won", "commission"]
    by_source = {row["source"]: row for row in body["sources"]}
    web = by_source["contact_form"]
    assert (web["leads"], web["viewing"], web["offer"], web["won"], web["commission"]) == (2, 2, 2, 1, 1)
    assert web["conversion"] == {"viewing": 1.0, "offer": 1.0, "won": 0.5, "commission": 0.5}
    assert web["step_conversion"]["won"] == 0.5
    assert web["hours"]["lead_to_viewing"] == {"count": 1, "mean": 24.0, "median": 24.0}
    assert web["hours"]["viewing_to_offer"] == {"count": 1, "mean": 48.0, "median": 48.0}
    assert web["hours"]["offer_to_won"]["median"] == 48.0
    assert web["hours"]["won_to_commission"]["median"] == 24.0
    assert (by_source["campaign"]["leads"], by_source["campaign"]["viewing"]) == (1, 0)
    assert (body["total"]["leads"], body["total"]["viewing"], body["total"]["won"]) == (3, 2, 1)


def test_collections_bill_collect_and_age_the_arrears(client_for, alpha):
    a, today = alpha["a"], timezone.now().astimezone(UTC).date()
    payer = UserFactory()

    def invoice(number, issued, due, total, paid, status, company=a):
        model("finance.Invoice").objects.create(
            company=company, number=number, recipient=payer, currency="KES", issue_date=issued, due_date=due,
            status=status, total=Decimal(total), amount_paid=Decimal(paid),
        )  # fmt: skip

    invoice(1, date(2026, 1, 10), today - timedelta(days=10), 1000, 400, "partially_paid")
    invoice(2, date(2026, 1, 12), today - timedelta(days=45), 500, 0, "overdue")
    invoice(3, date(2026, 1, 15), today - timedelta(days=100), 200, 200, "paid")
    invoice(4, date(2026, 1, 16), today - timedelta(days=100), 900, 0, "void")
    invoice(5, date(2025, 6, 1), today + timedelta(days=5), 300, 0, "sent")
    invoice(6, date(2026, 1, 10), today - timedelta(days=200), 7000, 0, "overdue", company=alpha["b"])

    body = client_for(alpha["staff"]).get(BASE + "collections/", JANUARY).json()

    assert body["currencies"] == [
        {
            "currency": "KES",
            "billed": 3,
            "billed_amount": "1700.00",
            "collected_amount": "600.00",
            "collection_rate": 0.3529,
            "received": "0.00",
            "open_invoices": 3,
            "arrears": "1400.00",
            "aging": {
                "not_due": "300.00",
                "days_0_30": "600.00",
                "days_31_60": "500.00",
                "days_61_90": "0.00",
                "days_90_plus": "0.00",
            },
        }
    ]


def test_occupancy_of_lettable_units(client_for, alpha):
    unit = model("properties.Unit")
    for number, status in enumerate(("rented", "rented", "available", "sold")):
        unit.objects.create(listing=alpha["listing"], unit_number=str(number), status=status)
    unit.objects.create(listing=alpha["other"], unit_number="x", status="available")

    body = client_for(alpha["staff"]).get(BASE + "occupancy/", JANUARY).json()

    assert (body["units"], body["lettable"], body["occupied"], body["vacant"]) == (4, 3, 2, 1)
    assert (body["occupancy_rate"], body["vacancy_rate"]) == (0.6667, 0.3333)
    assert body["units_by_status"] == {"available": 1, "rented": 2, "sold": 1}


def test_maintenance_turnaround_per_priority(client_for, alpha):
    def order(priority, **times):
        model("maintenance.WorkOrder").objects.create(
            company=alpha["a"], listing=alpha["listing"], name="T", email="t@example.com", priority=priority,
            created_at=IN, **times,
        )  # fmt: skip

    hour = timedelta(hours=1)
    order("high", responded_at=IN + 2 * hour, resolved_at=IN + 10 * hour, resolve_due_at=IN + 24 * hour)
    order("high", responded_at=IN + 4 * hour, resolved_at=IN + 30 * hour, resolve_due_at=IN + 24 * hour)
    order("normal")

    body = client_for(alpha["staff"]).get(BASE + "maintenance/", JANUARY).json()

    high = {row["priority"]: row for row in body["priorities"]}["high"]
    assert (high["opened"], high["responded"], high["resolved"], high["open"]) == (2, 2, 2, 0)
    assert high["response_hours"] == {"count": 2, "mean": 3.0, "median": 3.0}
    assert high["resolution_hours"] == {"count": 2, "mean": 20.0, "median": 20.0}
    assert high["resolved_within_sla"] == 0.5
    assert (body["total"]["opened"], body["total"]["open"]) == (3, 1)


def test_engagement_counts_voice_calls_of_the_callers_companies(client_for, alpha):
    delivery = model("communications.Delivery")
    for company, status in ((alpha["a"], "delivered"), (alpha["a"], "failed"), (alpha["b"], "delivered")):
        delivery.objects.create(company=company, channel="voice", status=status, body="Call", created_at=IN)

    body = client_for(alpha["staff"]).get(BASE + "engagement/", JANUARY).json()

    assert body["voice"] == {"calls": 2, "connected": 1, "failed": 1, "by_status": {"delivered": 1, "failed": 1}}
    assert body["marketing"] == {"sent": 0, "channels": []}
    assert body["assistant"]["sessions"] == 0
