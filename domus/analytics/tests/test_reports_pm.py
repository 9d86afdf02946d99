"""Property-management reports equal numbers worked out by hand; CSV and PDF; streamed
exports through each list's visibility rule; nobody sees another company's rows."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from domus.accounts.tests.factories import UserFactory
from domus.analytics.reports.pm import bucket_of
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory, UnitFactory

BASE = "/api/v1/reports/"
AS_OF = {"as_of": "2026-03-15"}


def _invoice(company, lease, number, due, total, paid="0", status="sent", issued=None, currency="KES"):
    return apps.get_model("finance", "Invoice").objects.create(
        company=company, number=number, recipient=lease.tenant, lease=lease, listing=lease.listing,
        currency=currency, issue_date=issued or due.replace(day=1), due_date=due, status=status,
        subtotal=Decimal(total), total=Decimal(total), amount_paid=Decimal(paid),
    )  # fmt: skip


def _payment(invoice, amount, paid_at, status="paid"):
    return apps.get_model("finance", "Payment").objects.create(
        company=invoice.company, invoice=invoice, listing=invoice.listing, payer=invoice.recipient, method="cash",
        status=status, amount=Decimal(amount), currency=invoice.currency, paid_at=paid_at,
    )  # fmt: skip


@pytest.fixture
def books(db):
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Beta")
    staff_a = MembershipFactory(company=a, role=Role.STAFF).user
    staff_b = MembershipFactory(company=b, role=Role.STAFF).user
    agent_b = MembershipFactory(company=b, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    owner = UserFactory(role=Role.OWNER, first_name="Olive", last_name="Owner")
    l1 = ListingFactory(company=a, owner=owner, title="Block A", listing_type="rent")
    u1, u2 = UnitFactory(listing=l1, unit_number="1"), UnitFactory(listing=l1, unit_number="2")
    l2 = ListingFactory(company=a, owner=owner, title="Cottage", listing_type="rent", currency="USD")
    l3 = ListingFactory(company=b, title="Beta flat", listing_type="rent")
    tenant = UserFactory(role=Role.TENANT, first_name="Tia", last_name="Tenant")
    lease1 = LeaseFactory(
        listing=l1, unit=u1, tenant=tenant, status="active", rent_amount=Decimal(50000), deposit=Decimal(50000),
        start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
    )  # fmt: skip
    LeaseFactory(listing=l1, unit=u2, status="ended", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    lease3 = LeaseFactory(
        listing=l2, unit=None, status="active", rent_amount=Decimal(1000), currency="USD", deposit=Decimal(0),
        start_date=date(2025, 6, 1), end_date=date(2026, 5, 31),
    )  # fmt: skip
    lease_b = LeaseFactory(listing=l3, status="active", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))

    _invoice(a, lease1, 1, date(2026, 3, 20), "50000")  # not yet due: current
    inv2 = _invoice(a, lease1, 2, date(2026, 2, 5), "50000", paid="20000", status="partially_paid")  # 38 days
    _invoice(a, lease3, 3, date(2025, 12, 1), "1000", status="overdue", currency="USD", issued=date(2025, 11, 25))
    _invoice(a, lease1, 4, date(2026, 3, 15), "5000")  # due today: 0-30
    inv5 = _invoice(a, lease1, 5, date(2026, 1, 5), "50000", paid="50000", status="paid")
    _invoice(a, lease1, 6, date(2026, 3, 5), "50000", status="void")
    _invoice(b, lease_b, 1, date(2026, 2, 1), "70000", status="overdue")
    _payment(inv2, "20000", datetime(2026, 2, 10, 9, tzinfo=UTC))
    _payment(inv5, "50000", datetime(2026, 1, 6, 9, tzinfo=UTC))
    _payment(inv2, "999", datetime(2026, 2, 11, 9, tzinfo=UTC), status="pending")
    return {"a": a, "b": b, "staff_a": staff_a, "staff_b": staff_b, "agent_b": agent_b, "owner": owner, "l1": l1}


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, "current"),
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
def test_aging_buckets(days, bucket):
    assert bucket_of(days) == bucket


def test_rent_roll(client_for, books):
    body = client_for(books["staff_a"]).get(BASE + "rent-roll/", AS_OF).json()

    assert [(r["listing_title"], r["unit"], r["tenant"], r["rent"], r["balance_due"]) for r in body["rows"]] == [
        ("Block A", "1", "Tia Tenant", "50000.00", "85000.00"),  # 50,000 + 30,000 + 5,000 open
        ("Cottage", "", body["rows"][1]["tenant"], "1000.00", "1000.00"),
    ]
    assert body["monthly_rent"] == {"KES": "50000.00", "USD": "1000.00"}
    assert body["balance_due"] == {"KES": "85000.00", "USD": "1000.00"}


def test_arrears_aging(client_for, books):
    body = client_for(books["staff_a"]).get(BASE + "arrears/", AS_OF).json()

    assert [(r["number"], r["bucket"], r["days_overdue"], r["balance_due"]) for r in body["rows"]] == [
        ("INV-000003", "90+", 104, "1000.00"),
        ("INV-000002", "31-60", 38, "30000.00"),
        ("INV-000004", "0-30", 0, "5000.00"),
        ("INV-000001", "current", 0, "50000.00"),
    ]
    assert body["totals"] == [
        {"currency": "KES", "current": "50000.00", "days_0_30": "5000.00", "days_31_60": "30000.00",
         "days_61_90": "0.00", "days_90_plus": "0.00", "total": "85000.00"},
        {"currency": "USD", "current": "0.00", "days_0_30": "0.00", "days_31_60": "0.00",
         "days_61_90": "0.00", "days_90_plus": "1000.00", "total": "1000.00"},
    ]  # fmt: skip


def test_occupancy(client_for, books):
    body = client_for(books["staff_a"]).get(BASE + "occupancy/", AS_OF).json()

    assert (body["units"], body["occupied"], body["vacant"], body["occupancy"]) == (3, 2, 1, 0.6667)
    assert [(r["title"], r["units"], r["occupied"]) for r in body["rows"]] == [("Block A", 2, 1), ("Cottage", 1, 1)]


def test_income_statement(client_for, books):
    query = {"from": "2026-01-01", "to": "2026-03-31", "owner_id": str(books["owner"].id)}
    body = client_for(books["staff_a"]).get(BASE + "income-statement/", query).json()

    # Billed: invoices 1, 2, 4, 5 (3 was issued in 2025, 6 is void); collected 20,000 + 50,000 at a 10 % fee.
    assert body["lines"] == [
        {"currency": "KES", "rent_billed": "155000.00", "collected": "70000.00", "management_fees": "7000.00",
         "net": "63000.00"},
    ]  # fmt: skip


def test_csv_and_pdf(client_for, books):
    client = client_for(books["staff_a"])
    response = client.get(BASE + "arrears/", {**AS_OF, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["invoice", "recipient", "due_date"]
    assert len(rows) == 5

    response = client.get(BASE + "rent-roll/", {**AS_OF, "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Rent roll 2026-03-15" in text
    assert "Block A" in text
    assert "Tia Tenant" in text


@pytest.mark.parametrize("who", ["staff_b", "agent_b"])
@pytest.mark.parametrize("report", ["rent-roll/", "arrears/", "occupancy/"])
def test_another_company_sees_none_of_ours(client_for, books, who, report):
    body = client_for(books[who]).get(BASE + report, AS_OF).json()

    assert "Block A" not in str(body)
    assert "Cottage" not in str(body)
    assert "INV-000002" not in str(body)


def test_another_company_owner_filter_is_empty(client_for, books):
    """Naming our owner does not widen what Beta's staff see."""
    query = {**AS_OF, "owner_id": str(books["owner"].id)}
    assert client_for(books["staff_b"]).get(BASE + "rent-roll/", query).json()["rows"] == []


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("rent-roll/", {"as_of": "15/03/2026"}),
        ("rent-roll/", {"format": "xls"}),
        ("arrears/", {"company_id": "nope"}),
        ("income-statement/", {"from": "2026-02-01"}),
        ("income-statement/", {"from": "2026-02-01", "to": "2026-01-01"}),
        ("occupancy/", {"colour": "red"}),
    ],
)
def test_bad_input_is_a_400(client_for, books, path, query):
    assert client_for(books["staff_a"]).get(BASE + path, query).status_code == 400


def test_query_counts_are_fixed(client_for, books):
    """Whatever the number of rows: the caller (with their memberships), and per selector
    one grouped read."""
    client = client_for(books["staff_a"])
    counts = {}
    for path in ("rent-roll/", "arrears/", "occupancy/", "income-statement/"):
        query = {"from": "2026-01-01", "to": "2026-03-31"} if path == "income-statement/" else AS_OF
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE + path, query).status_code == 200
        counts[path] = len(captured)
    assert counts == {"rent-roll/": 3, "arrears/": 2, "occupancy/": 3, "income-statement/": 3}


# Streamed exports


def _export(client, resource):
    response = client.get(BASE + f"export/{resource}/")
    assert response.status_code == 200
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_exports_stream_what_the_caller_may_see(client_for, books):
    LeadFactory(company=books["a"], name="Alpha lead")
    LeadFactory(company=books["b"], name="=Beta lead")
    staff_a, staff_b = client_for(books["staff_a"]), client_for(books["staff_b"])

    assert [r["name"] for r in _export(staff_a, "leads")] == ["Alpha lead"]
    assert [r["name"] for r in _export(staff_b, "leads")] == ["'=Beta lead"]  # never a formula
    assert sorted(r["number"] for r in _export(staff_a, "invoices")) == ["1", "2", "3", "4", "5", "6"]
    assert [r["number"] for r in _export(staff_b, "invoices")] == ["1"]
    assert len(_export(staff_a, "leases")) == 3
    assert len(_export(staff_b, "leases")) == 1
    assert len(_export(staff_a, "payments")) == 3
    assert _export(staff_b, "payments") == []
    assert _export(staff_b, "clients") == []
    assert {r["title"] for r in _export(staff_b, "listings")} >= {"Beta flat"}


def test_export_of_an_unknown_list_is_a_400(client_for, books):
    assert client_for(books["staff_a"]).get(BASE + "export/users/").status_code == 400


def test_export_is_one_query_after_auth(client_for, books, django_assert_num_queries):
    client = client_for(books["staff_a"])
    with django_assert_num_queries(2):
        response = client.get(BASE + "export/invoices/")
        b"".join(response.streaming_content)
