"""Dashboards: numbers equal to totals worked out by hand on a small fixture, per role;
nobody sees another company's numbers; the period is validated; the query count is fixed."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.apps import apps

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
IN = datetime(2026, 1, 15, 12, tzinfo=UTC)
BEFORE = datetime(2025, 6, 1, tzinfo=UTC)
BASE = "/api/v1/analytics/dashboard/"
ROUTES = ("overview", "stats", "revenue", "properties", "users", "activity")


def _deal(**fields):
    return apps.get_model("sales", "Deal").objects.create(**fields)


def _paid(company, listing, amount, currency, paid_at, status="paid"):
    return apps.get_model("finance", "Payment").objects.create(
        company=company,
        listing=listing,
        method="cash",
        status=status,
        amount=Decimal(amount),
        currency=currency,
        paid_at=paid_at,
    )


@pytest.fixture
def world(db):
    """Company A (staff, agent, an owner's listing L1 handled by the agent, L2), company B."""
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Beta")
    staff_a = MembershipFactory(company=a, role=Role.STAFF).user
    staff_b = MembershipFactory(company=b, role=Role.STAFF).user
    agent = MembershipFactory(company=a, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    owner = UserFactory(role=Role.OWNER)
    l1 = ListingFactory(company=a, agent=agent, owner=owner, created_at=IN)
    l2 = ListingFactory(company=a, status="draft", is_published=False, listing_type="rent", created_at=BEFORE)
    l3 = ListingFactory(company=b, created_at=IN)

    LeadFactory(company=a, assigned_agent=agent, listing=l1, status="won", created_at=IN)
    LeadFactory(company=a, status="new", source="contact_form", created_at=IN)
    LeadFactory(company=a, status="lost", lost_reason="price", created_at=BEFORE)
    LeadFactory(company=b, status="new", created_at=IN)

    d1 = _deal(
        company=a, listing=l1, amount=Decimal("1000000"), currency="KES", status="closed_won",
        selling_agent=agent, closed_at=IN,
    )  # fmt: skip
    _deal(company=a, listing=l2, amount=Decimal("50000"), currency="USD", status="offer")
    _deal(company=a, listing=l2, amount=Decimal("20000"), currency="USD", status="closed_won", closed_at=IN)
    _deal(company=b, listing=l3, amount=Decimal("7000000"), currency="KES", status="closed_won", closed_at=IN)
    apps.get_model("sales", "Commission").objects.create(
        company=a, deal=d1, agent=agent, role="selling_agent", rate=Decimal(3), share=Decimal(100),
        amount=Decimal("30000"), currency="KES", created_at=IN,
    )  # fmt: skip

    _paid(a, l1, "3000", "KES", IN)
    _paid(a, l2, "100", "USD", IN)
    _paid(a, l1, "500", "KES", BEFORE)  # before the period
    _paid(a, l1, "999", "KES", IN, status="pending")  # not received
    _paid(b, l3, "10000", "KES", IN)
    return {"staff_a": staff_a, "staff_b": staff_b, "agent": agent, "owner": owner, "a": a, "b": b}


def test_admin_overview_counts_every_company(admin_client, world):
    body = admin_client.get(BASE + "overview/", JANUARY).json()

    assert body["period"] == {"from": "2026-01-01", "to": "2026-01-31", "name": "custom"}
    assert body["scope"] == {"kind": "platform", "company_ids": []}
    assert body["listings"] == {"total": 3, "published": 2, "new": 2}
    assert body["leads"] == {"total": 4, "new": 3, "open": 2, "won": 1, "lost": 1}
    assert body["deals"] == {
        "open": 1,
        "won": 3,
        "lost": 0,
        "pipeline_value": {"USD": "50000.00"},
        "won_value": {"KES": "8000000.00", "USD": "20000.00"},
    }
    assert body["collected"] == {"KES": "13000.00", "USD": "100.00"}


def test_staff_overview_is_their_company_only(client_for, world):
    body = client_for(world["staff_a"]).get(BASE + "overview/", JANUARY).json()

    assert body["scope"] == {"kind": "companies", "company_ids": [str(world["a"].pk)]}
    assert body["listings"] == {"total": 2, "published": 1, "new": 1}
    assert body["leads"] == {"total": 3, "new": 2, "open": 1, "won": 1, "lost": 1}
    assert body["deals"]["won_value"] == {"KES": "1000000.00", "USD": "20000.00"}
    assert body["collected"] == {"KES": "3000.00", "USD": "100.00"}

    other = client_for(world["staff_b"]).get(BASE + "overview/", JANUARY).json()
    assert other["leads"]["total"] == 1
    assert other["deals"]["won_value"] == {"KES": "7000000.00"}
    assert other["collected"] == {"KES": "10000.00"}


def test_agent_sees_their_own_pipeline(client_for, world):
    body = client_for(world["agent"]).get(BASE + "overview/", JANUARY).json()

    assert body["scope"]["kind"] == "agent"
    assert body["listings"] == {"total": 1, "published": 1, "new": 1}
    assert body["leads"] == {"total": 1, "new": 1, "open": 0, "won": 1, "lost": 0}
    assert body["deals"]["won_value"] == {"KES": "1000000.00"}
    assert body["collected"] == {"KES": "3000.00"}
    revenue = client_for(world["agent"]).get(BASE + "revenue/", JANUARY).json()
    assert revenue["commissions"] == [{"currency": "KES", "status": "pending", "count": 1, "amount": "30000.00"}]


def test_owner_sees_their_properties(client_for, world):
    body = client_for(world["owner"]).get(BASE + "overview/", JANUARY).json()

    assert body["scope"]["kind"] == "owner"
    assert body["listings"]["total"] == 1
    assert body["collected"] == {"KES": "3000.00"}
    assert client_for(world["owner"]).get(BASE + "revenue/", JANUARY).json()["commissions"] == []


def test_revenue_is_per_currency_and_purpose(client_for, world):
    body = client_for(world["staff_a"]).get(BASE + "revenue/", JANUARY).json()

    assert body["collected"] == [
        {"currency": "KES", "count": 1, "amount": "3000.00"},
        {"currency": "USD", "count": 1, "amount": "100.00"},
    ]
    assert body["collected_by_purpose"][0] == {
        "currency": "KES",
        "purpose": "invoice",
        "count": 1,
        "amount": "3000.00",
    }
    assert body["deals_won"] == [
        {"currency": "KES", "count": 1, "amount": "1000000.00"},
        {"currency": "USD", "count": 1, "amount": "20000.00"},
    ]


def test_stats_and_properties_breakdowns(client_for, world):
    client = client_for(world["staff_a"])
    stats = client.get(BASE + "stats/", JANUARY).json()
    assert stats["listings_by_status"] == {"available": 1, "draft": 1}
    assert stats["leads_by_status"] == {"lost": 1, "new": 1, "won": 1}
    assert stats["new_leads_by_source"] == {"contact_form": 1, "manual": 1}
    assert stats["deals_by_status"] == {"closed_won": 2, "offer": 1}

    props = client.get(BASE + "properties/", JANUARY).json()
    assert (props["total"], props["published"], props["new"]) == (2, 1, 1)
    assert props["by_listing_type"] == {"rent": 1, "sale": 1}


def test_users_dashboard_by_scope(client_for, admin_client, world):
    staff = client_for(world["staff_a"]).get(BASE + "users/", JANUARY).json()
    assert staff["by_role"] == {"agent": 1, "staff": 1}
    assert staff["total"] == 2
    admin = admin_client.get(BASE + "users/", JANUARY).json()
    assert admin["by_role"]["owner"] >= 1
    assert admin["total"] >= 5
    assert client_for(world["agent"]).get(BASE + "users/").status_code == 403
    assert client_for(world["owner"]).get(BASE + "users/").status_code == 403


def test_activity_is_scoped(client_for, admin_client, world):
    audit_log = apps.get_model("audit", "AuditLog")
    audit_log.objects.create(action="x.a", resource_type="crm.lead", resource_id="1", company_id=world["a"].pk)
    audit_log.objects.create(action="x.b", resource_type="crm.lead", resource_id="2", company_id=world["b"].pk)
    audit_log.objects.create(action="x.me", resource_type="crm.lead", resource_id="3", actor=world["agent"])

    def actions(client):
        return {row["action"] for row in client.get(BASE + "activity/").json()["results"]}

    assert actions(client_for(world["staff_a"])) == {"x.a"}
    assert actions(client_for(world["staff_b"])) == {"x.b"}
    assert actions(client_for(world["agent"])) == {"x.me"}
    assert {"x.a", "x.b", "x.me"} <= actions(admin_client)


def test_summary_kpis(client_for, admin_client, world):
    body = client_for(world["staff_a"]).get("/api/v1/analytics/summary/", JANUARY).json()
    assert (body["new_leads"], body["open_leads"], body["lead_conversion_rate"]) == (2, 1, 0.3333)
    assert (body["deals_won"], body["deals_lost"], body["deal_win_rate"]) == (2, 0, 1.0)
    assert body["won_value"] == {"KES": "1000000.00", "USD": "20000.00"}
    assert body["pipeline_value"] == {"USD": "50000.00"}
    assert body["collected"] == {"KES": "3000.00", "USD": "100.00"}
    assert admin_client.get("/api/analytics/summary", JANUARY).json()["collected"] == {
        "KES": "13000.00",
        "USD": "100.00",
    }


@pytest.mark.parametrize("route", ROUTES)
def test_rems_paths_answer_like_the_canonical_ones(admin_client, world, route):
    assert admin_client.get(f"/api/dashboard/{route}/", JANUARY).json() == (
        admin_client.get(BASE + route + "/", JANUARY).json()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"period": "fortnight"},
        {"period": "today", "from": "2026-01-01"},
        {"from": "yesterday"},
        {"to": "0"},
    ],
)
def test_bad_periods_are_a_400(admin_client, params):
    response = admin_client.get(BASE + "overview/", params)
    assert response.status_code == 400
    assert response.json()["code"]


def test_named_period_and_default(admin_client, db):
    body = admin_client.get(BASE + "overview/", {"period": "last_7_days"}).json()
    assert body["period"]["name"] == "last_7_days"
    assert (datetime.fromisoformat(body["period"]["to"]) - datetime.fromisoformat(body["period"]["from"])).days == 6
    default = admin_client.get(BASE + "overview/").json()["period"]
    assert (datetime.fromisoformat(default["to"]) - datetime.fromisoformat(default["from"])).days == 29


@pytest.mark.parametrize("route", [*ROUTES])
def test_anonymous_callers_are_refused(api_client, route):
    assert api_client.get(BASE + route + "/").status_code == 401


@pytest.mark.parametrize(
    ("route", "queries"),
    [("overview", 4), ("stats", 3), ("revenue", 3), ("properties", 1), ("users", 1), ("activity", 2)],
)
def test_query_count_is_fixed(client_for, world, django_assert_num_queries, route, queries):
    """An agent's dashboards: one query per aggregate (activity: count and page), whatever
    the number of rows (auth is a token lookup, which brings the caller's memberships: one
    more). Staff and admins read roll-ups (test_rollups.py)."""
    client = client_for(world["agent"])
    if route == "users":
        queries, status = queries - 1, 403
    else:
        status = 200
    client.get(BASE + route + "/", JANUARY)  # warm anything cached per process
    with django_assert_num_queries(queries + 1):
        assert client.get(BASE + route + "/", JANUARY).status_code == status
