"""Stock through HTTP: receive with serials at A, transfer to B, issue at B, return; the
stock rows, the ledger and the valuation agree at every step."""

from decimal import Decimal

import pytest

from domus.inventory.models import Serial, Stock, StockLedgerEntry, ValuationLayer
from domus.inventory.tests.factories import SparePartFactory

ENTRIES = "/api/stock-entries/"


def _post(client, body) -> dict:
    draft = client.post_json(ENTRIES, body)
    assert draft.status_code == 201, draft.content
    posted = client.post(f"/api/v1/inventory/stock-entries/{draft.json()['id']}/post/")
    assert posted.status_code == 200, posted.content
    return posted.json()


def _on_hand(part, branch) -> Decimal:
    row = Stock.objects.filter(part=part, branch=branch).first()
    return row.on_hand if row else Decimal(0)


def _valuation(client, company) -> dict:
    body = client.get(f"/api/v1/inventory/valuation/?company_id={company.id}").json()
    return {(row["branch_id"], row["part_id"]): (row["quantity"], row["value"]) for row in body["rows"]} | {
        "totals": body["totals"]
    }


def _agree(client, company, part, branches) -> None:
    """Each branch's stock row = its last ledger row = the valuation report's row."""
    report = _valuation(client, company)
    for branch in branches:
        stock = Stock.objects.get(part=part, branch=branch)
        last = StockLedgerEntry.objects.filter(part=part, branch=branch).order_by("-id").first()
        assert (last.qty_after, last.value_after) == (stock.on_hand, stock.value)
        if stock.on_hand:
            assert report[(str(branch.id), str(part.id))] == (f"{stock.on_hand:f}", f"{stock.value:.2f}")


@pytest.mark.django_db
def test_receive_transfer_issue_return_agree_at_each_step(admin_client, company, branch_a, branch_b):
    part = SparePartFactory(is_serialized=True, cost="20.00")
    serials = [f"SN-{n:03d}" for n in range(10)]

    receipt = _post(
        admin_client,
        {
            "kind": "receipt",
            "branch_id": str(branch_a.id),
            "lines": [{"part_id": str(part.id), "quantity": "10", "unit_cost": "25.50", "serial_numbers": serials}],
        },
    )
    assert receipt["status"] == "posted"
    assert _on_hand(part, branch_a) == 10
    assert Serial.objects.filter(part=part, status="in_stock", branch=branch_a).count() == 10
    _agree(admin_client, company, part, [branch_a])
    assert _valuation(admin_client, company)["totals"] == {"KES": "255.00"}

    _post(
        admin_client,
        {
            "kind": "transfer",
            "branch_id": str(branch_a.id),
            "to_branch_id": str(branch_b.id),
            "lines": [{"part_id": str(part.id), "quantity": "3", "serial_numbers": serials[:3]}],
        },
    )
    assert (_on_hand(part, branch_a), _on_hand(part, branch_b)) == (7, 3)
    assert Serial.objects.filter(branch=branch_b, status="in_stock").count() == 3
    _agree(admin_client, company, part, [branch_a, branch_b])
    assert _valuation(admin_client, company)["totals"] == {"KES": "255.00"}  # a transfer moves value, adds none

    issue = _post(
        admin_client,
        {
            "kind": "issue",
            "branch_id": str(branch_b.id),
            "lines": [{"part_id": str(part.id), "quantity": "2", "serial_numbers": serials[:2]}],
        },
    )
    assert _on_hand(part, branch_b) == 1
    assert Serial.objects.filter(serial_number__in=serials[:2], status="issued").count() == 2
    _agree(admin_client, company, part, [branch_a, branch_b])
    assert _valuation(admin_client, company)["totals"] == {"KES": "204.00"}

    twice = admin_client.post_json(
        ENTRIES,
        {
            "kind": "issue",
            "branch_id": str(branch_b.id),
            "lines": [{"part_id": str(part.id), "quantity": "1", "serial_numbers": serials[:1]}],
        },
    )
    refused = admin_client.post(f"/api/v1/inventory/stock-entries/{twice.json()['id']}/post/")
    assert refused.status_code == 409  # a serial cannot be issued twice
    assert _on_hand(part, branch_b) == 1

    _post(
        admin_client,
        {
            "kind": "return",
            "branch_id": str(branch_b.id),
            "lines": [{"part_id": str(part.id), "quantity": "1", "serial_numbers": serials[:1]}],
        },
    )
    assert _on_hand(part, branch_b) == 2
    assert Serial.objects.get(serial_number=serials[0]).status == "in_stock"
    _agree(admin_client, company, part, [branch_a, branch_b])
    assert _valuation(admin_client, company)["totals"] == {"KES": "229.50"}

    ledger = admin_client.get(f"/api/stock-ledgers/?part_id={part.id}").json()
    assert [row["kind"] for row in reversed(ledger["results"])] == [
        "receipt",
        "transfer",
        "transfer",
        "issue",
        "return",
    ]
    assert issue["id"] in {row["entry_id"] for row in ledger["results"]}


@pytest.mark.django_db
def test_an_entry_is_written_and_posted_in_one_call_or_not_at_all(admin_client, branch_a):
    from domus.inventory.models import StockEntry

    part = SparePartFactory()
    line = {"part_id": str(part.id), "quantity": "3", "unit_cost": "4"}

    posted = admin_client.post_json(
        ENTRIES, {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [line], "post": True}
    )
    too_many = admin_client.post_json(
        ENTRIES,
        {"kind": "issue", "branch_id": str(branch_a.id), "lines": [{**line, "quantity": "5"}], "post": True},
    )

    assert posted.status_code == 201, posted.content
    assert posted.json()["status"] == "posted"
    row = StockLedgerEntry.objects.get(entry_id=posted.json()["id"])
    assert (row.qty_after, row.value_after) == (Decimal(3), Decimal("12.00"))
    assert too_many.status_code == 409
    assert too_many.json()["errors"]["reason"] == ["INSUFFICIENT_STOCK"]
    assert StockEntry.objects.count() == 1  # the refused one left nothing behind
    assert _on_hand(part, branch_a) == Decimal(3)


@pytest.mark.django_db
def test_an_issue_beyond_what_is_available_is_a_409_and_moves_nothing(admin_client, branch_a):
    part = SparePartFactory()
    _post(
        admin_client,
        {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "2"}]},
    )
    draft = admin_client.post_json(
        ENTRIES, {"kind": "issue", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "3"}]}
    ).json()

    response = admin_client.post(f"/api/v1/inventory/stock-entries/{draft['id']}/post/")

    assert response.status_code == 409
    assert response.json()["errors"]["reason"] == ["INSUFFICIENT_STOCK"]
    assert _on_hand(part, branch_a) == 2
    assert StockLedgerEntry.objects.filter(part=part).count() == 1
    assert admin_client.get(f"/api/stock-entries/{draft['id']}/").json()["status"] == "draft"


@pytest.mark.django_db
def test_negative_stock_when_the_company_allows_it(admin_client, company, branch_a):
    part = SparePartFactory(cost="4.00")
    config = admin_client.put_json(
        f"/api/inventory-config/?company_id={company.id}",
        {"allow_negative": True, "default_branch_id": str(branch_a.id)},
    )
    assert config.status_code == 200, config.content

    _post(admin_client, {"kind": "issue", "lines": [{"part_id": str(part.id), "quantity": "2"}]})

    assert _on_hand(part, branch_a) == -2


@pytest.mark.django_db
def test_a_posted_entry_never_changes_and_is_undone_by_a_reversal(admin_client, branch_a, audit_log):
    part = SparePartFactory()
    receipt = _post(
        admin_client,
        {
            "kind": "receipt",
            "branch_id": str(branch_a.id),
            "lines": [{"part_id": str(part.id), "quantity": "5", "unit_cost": "3"}],
        },
    )
    url = f"/api/stock-entries/{receipt['id']}/"

    assert admin_client.patch_json(url, {"notes": "edited"}).status_code == 409
    assert admin_client.delete(url).status_code == 409
    reversal = admin_client.post(f"/api/v1/inventory/stock-entries/{receipt['id']}/reverse/")
    again = admin_client.post(f"/api/v1/inventory/stock-entries/{receipt['id']}/reverse/")

    assert reversal.status_code == 201, reversal.content
    assert reversal.json()["reverses_id"] == receipt["id"]
    assert again.status_code == 409
    stock = Stock.objects.get(part=part, branch=branch_a)
    assert (stock.on_hand, stock.value) == (0, 0)
    assert StockLedgerEntry.objects.filter(part=part).count() == 2
    assert audit_log.objects.filter(action="post", resource_id=receipt["id"]).exists()


@pytest.mark.django_db
def test_the_ledger_is_append_only(admin_client, branch_a):
    part = SparePartFactory()
    _post(
        admin_client,
        {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "1"}]},
    )
    row = StockLedgerEntry.objects.get(part=part)

    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        StockLedgerEntry.objects.filter(pk=row.pk).update(qty_after=5)
    with pytest.raises(TypeError):
        row.delete()
    assert admin_client.delete(f"/api/stock-ledgers/{row.pk}/").status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refuses_ledger_updates_in_the_database(admin_client, branch_a):
    from django.db import DatabaseError, connection, transaction

    part = SparePartFactory()
    _post(
        admin_client,
        {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "1"}]},
    )
    row = StockLedgerEntry.objects.get(part=part)
    for sql in (
        "UPDATE inventory_stockledgerentry SET qty_after = 9 WHERE id = %s",
        "DELETE FROM inventory_stockledgerentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    assert StockLedgerEntry.objects.get(pk=row.pk).qty_after == 1


@pytest.mark.django_db
def test_posting_while_the_stock_is_closed_is_refused(admin_client, company, branch_a):
    from django.utils import timezone

    part = SparePartFactory()
    admin_client.put_json(
        f"/api/inventory-config/?company_id={company.id}", {"closing_date": timezone.localdate().isoformat()}
    )
    draft = admin_client.post_json(
        ENTRIES,
        {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "1"}]},
    ).json()

    response = admin_client.post(f"/api/v1/inventory/stock-entries/{draft['id']}/post/")

    assert response.status_code == 400
    assert "posting_date" in response.json()["errors"]
    assert not StockLedgerEntry.objects.exists()


@pytest.mark.django_db
def test_fifo_issues_the_oldest_cost_first(admin_client, company, branch_a):
    part = SparePartFactory()
    admin_client.put_json(f"/api/inventory-config/?company_id={company.id}", {"valuation_method": "fifo"})
    for cost in ("10", "20"):
        _post(
            admin_client,
            {
                "kind": "receipt",
                "branch_id": str(branch_a.id),
                "lines": [{"part_id": str(part.id), "quantity": "2", "unit_cost": cost}],
            },
        )
    _post(
        admin_client,
        {"kind": "issue", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "3"}]},
    )

    issue = StockLedgerEntry.objects.filter(part=part, kind="issue").get()
    assert issue.value_change == Decimal("-40.00")  # 2 x 10 + 1 x 20
    assert issue.value_after == Decimal("20.00")
    changed = admin_client.put_json(
        f"/api/inventory-config/?company_id={company.id}", {"valuation_method": "moving_average"}
    )
    assert changed.status_code == 409  # values already posted were measured FIFO


@pytest.mark.django_db
def test_reversing_a_fifo_receipt_takes_back_its_own_layers(admin_client, company, branch_a):
    part = SparePartFactory()
    admin_client.put_json(f"/api/inventory-config/?company_id={company.id}", {"valuation_method": "fifo"})
    receipts = [
        _post(
            admin_client,
            {
                "kind": "receipt",
                "branch_id": str(branch_a.id),
                "lines": [{"part_id": str(part.id), "quantity": "2", "unit_cost": cost}],
            },
        )
        for cost in ("10", "20")
    ]

    reversal = admin_client.post(f"/api/v1/inventory/stock-entries/{receipts[1]['id']}/reverse/")

    assert reversal.status_code == 201, reversal.content
    out = StockLedgerEntry.objects.get(entry_id=reversal.json()["id"])
    assert (out.qty_change, out.value_change, out.unit_cost) == (Decimal(-2), Decimal("-40.00"), Decimal("20.0000"))
    assert (out.qty_after, out.value_after) == (Decimal(2), Decimal("20.00"))  # the first receipt's 2 x 10 stay
    layers = ValuationLayer.objects.filter(part=part).order_by("unit_cost")
    assert [(layer.unit_cost, layer.remaining) for layer in layers] == [
        (Decimal("10.0000"), Decimal(2)),
        (Decimal("20.0000"), Decimal(0)),
    ]


@pytest.mark.django_db
def test_moving_average_values_issues_at_the_average(admin_client, branch_a):
    part = SparePartFactory()
    for quantity, cost in (("1", "10"), ("2", "25")):
        _post(
            admin_client,
            {
                "kind": "receipt",
                "branch_id": str(branch_a.id),
                "lines": [{"part_id": str(part.id), "quantity": quantity, "unit_cost": cost}],
            },
        )
    _post(
        admin_client,
        {"kind": "issue", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "1"}]},
    )
    issue = StockLedgerEntry.objects.filter(part=part, kind="issue").get()
    assert (issue.unit_cost, issue.value_after) == (Decimal("20.0000"), Decimal("40.00"))


@pytest.mark.django_db
def test_the_valuation_report_at_a_past_date_and_its_csv(admin_client, company, branch_a):
    from datetime import timedelta

    from django.utils import timezone

    part = SparePartFactory(part_number="HINGE-1")
    _post(
        admin_client,
        {
            "kind": "receipt",
            "branch_id": str(branch_a.id),
            "lines": [{"part_id": str(part.id), "quantity": "4", "unit_cost": "2.5"}],
        },
    )
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    today = admin_client.get(f"/api/v1/inventory/valuation/?company_id={company.id}&at={timezone.localdate()}").json()
    before = admin_client.get(f"/api/v1/inventory/valuation/?company_id={company.id}&at={yesterday}").json()
    csv = admin_client.get(f"/api/v1/inventory/valuation/export/?company_id={company.id}")
    stock_csv = admin_client.get("/api/v1/inventory/stock/export/")

    assert [(r["part_number"], r["quantity"], r["value"]) for r in today["rows"]] == [("HINGE-1", "4.000", "10.00")]
    assert today["totals"] == {"KES": "10.00"}
    assert before["rows"] == []
    assert before["totals"] == {}
    assert csv["Content-Type"] == "text/csv"
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0] == "part_id,part_number,branch_id,quantity,value,currency"
    assert lines[1].endswith(",4.000,10.00,KES")
    assert "HINGE-1" in b"".join(stock_csv.streaming_content).decode()


@pytest.mark.django_db
def test_the_valuation_report_pages_by_part_number_and_totals_the_whole_report(admin_client, company, branch_a):
    from datetime import timedelta

    from django.utils import timezone

    parts = [SparePartFactory(part_number=f"VAL-{n}") for n in (3, 1, 2)]
    for part in parts:
        _post(
            admin_client,
            {
                "kind": "receipt",
                "branch_id": str(branch_a.id),
                "lines": [{"part_id": str(part.id), "quantity": "2", "unit_cost": "5"}],
            },
        )
    url = f"/api/v1/inventory/valuation/?company_id={company.id}&limit=2"

    first = admin_client.get(url).json()
    second = admin_client.get(first["next"]).json()
    future = admin_client.get(f"{url}&at={timezone.localdate() + timedelta(days=1)}").json()
    bad = admin_client.get(f"{url}&cursor=not-a-cursor")

    assert [row["part_number"] for row in first["rows"]] == ["VAL-1", "VAL-2"]
    assert [row["part_number"] for row in second["rows"]] == ["VAL-3"]
    assert second["next"] is None
    assert first["totals"] == second["totals"] == future["totals"] == {"KES": "30.00"}  # the whole report's
    assert [row["value"] for row in future["rows"]] == ["10.00", "10.00"]
    assert bad.status_code == 400
    assert "cursor" in bad.json()["errors"]


@pytest.mark.django_db
def test_stock_is_the_platform_admins_only(user_client, client_for, company, branch_a):
    from domus.core.roles import Role
    from domus.organizations.tests.factories import MembershipFactory

    staff = MembershipFactory(company=company, role=Role.STAFF).user
    for client in (user_client, client_for(staff)):
        for path in (
            "/api/stock-entries/",
            "/api/stock-ledgers/",
            "/api/serials/",
            "/api/price-logs/",
            "/api/inventory-config/",
            "/api/v1/inventory/stock/",
            "/api/v1/inventory/valuation/",
        ):
            assert client.get(path).status_code == 403, path
    part = SparePartFactory()
    response = user_client.post_json(
        ENTRIES,
        {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "1"}]},
    )
    assert response.status_code == 403
    assert not Stock.objects.exists()


@pytest.mark.django_db
def test_lists_of_entries_and_ledger_rows_take_a_fixed_number_of_queries(
    admin_client, branch_a, django_assert_max_num_queries
):
    parts = [SparePartFactory() for _ in range(3)]
    for part in parts:
        _post(
            admin_client,
            {"kind": "receipt", "branch_id": str(branch_a.id), "lines": [{"part_id": str(part.id), "quantity": "2"}]},
        )

    # the admin (1), the count and the page (2), the lines of every entry of the page at once (1)
    with django_assert_max_num_queries(4):
        entries = admin_client.get("/api/stock-entries/")
    with django_assert_max_num_queries(3):
        ledger = admin_client.get("/api/stock-ledgers/")
    with django_assert_max_num_queries(3):
        stock = admin_client.get("/api/v1/inventory/stock/")

    assert entries.json()["count"] == 3
    assert all(len(entry["lines"]) == 1 for entry in entries.json()["results"])
    assert ledger.json()["count"] == 3
    assert stock.json()["count"] == 3


@pytest.mark.django_db
def test_the_valuation_csv_quotes_a_part_number_as_csv_does_and_lists_branches_in_order(
    admin_client, company, branch_a, branch_b
):
    import csv

    odd = SparePartFactory(part_number='BOLT, "M8"')
    plain = SparePartFactory(part_number="AXLE-1")
    for branch in (branch_b, branch_a):
        _post(
            admin_client,
            {
                "kind": "receipt",
                "branch_id": str(branch.id),
                "lines": [{"part_id": str(part.id), "quantity": "3", "unit_cost": "1.5"} for part in (odd, plain)],
            },
        )

    response = admin_client.get(f"/api/v1/inventory/valuation/export/?company_id={company.id}")
    rows = list(csv.reader(b"".join(response.streaming_content).decode().splitlines()))

    first_branch, second_branch = sorted([str(branch_a.id), str(branch_b.id)])
    assert rows[0] == ["part_id", "part_number", "branch_id", "quantity", "value", "currency"]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("AXLE-1", first_branch, "3.000", "4.50", "KES"),
        ("AXLE-1", second_branch, "3.000", "4.50", "KES"),
        ('BOLT, "M8"', first_branch, "3.000", "4.50", "KES"),
        ('BOLT, "M8"', second_branch, "3.000", "4.50", "KES"),
    ]


def _valuation_stock(admin_client, branch_a, branch_b):
    """Two parts at two branches, one part number needing CSV quotes; answers the parts."""
    odd = SparePartFactory(part_number='BOLT, "M8"')
    plain = SparePartFactory(part_number="AXLE-1")
    for branch, quantity in ((branch_b, "3"), (branch_a, "12.5")):
        _post(
            admin_client,
            {
                "kind": "receipt",
                "branch_id": str(branch.id),
                "lines": [{"part_id": str(part.id), "quantity": quantity, "unit_cost": "1.5"} for part in (odd, plain)],
            },
        )
    return odd, plain


@pytest.mark.django_db
def test_the_valuation_csv_bytes_are_exactly_copys_csv_now_and_at_a_date(admin_client, company, branch_a, branch_b):
    """The download's bytes, pinned: header, columns, order, quoting and number formatting
    as PostgreSQL's ``COPY ... CSV`` writes them, on PostgreSQL (``COPY``) and SQLite
    (Python's csv module) alike."""
    from django.utils import timezone

    odd, plain = _valuation_stock(admin_client, branch_a, branch_b)
    a, b = str(branch_a.id), str(branch_b.id)
    amounts = {a: ("12.500", "18.75"), b: ("3.000", "4.50")}
    lines = ["part_id,part_number,branch_id,quantity,value,currency"]
    for part, number in ((plain, "AXLE-1"), (odd, '"BOLT, ""M8"""')):
        lines += [f"{part.id},{number},{branch},{','.join(amounts[branch])},KES" for branch in sorted((a, b))]
    expected = ("\n".join(lines) + "\n").encode()

    now = admin_client.get(f"/api/v1/inventory/valuation/export/?company_id={company.id}")
    today = admin_client.get(
        f"/api/v1/inventory/valuation/export/?company_id={company.id}&at={timezone.localdate().isoformat()}"
    )
    one_branch = admin_client.get(f"/api/v1/inventory/valuation/export/?company_id={company.id}&branch_id={a}")

    assert now.status_code == today.status_code == one_branch.status_code == 200
    assert b"".join(now.streaming_content) == expected
    assert b"".join(today.streaming_content) == expected
    assert b"".join(one_branch.streaming_content) == b"".join(
        line + b"\n"
        for line in expected.splitlines()
        if b"," + a.encode() + b"," in line or line.startswith(b"part_id")
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_and_the_portable_formatting_write_the_same_bytes(admin_client, company, branch_a, branch_b):
    """On PostgreSQL the download is ``COPY``'s; the portable path (SQLite's) formats the same
    rows in Python: byte for byte the same, in small blocks too."""
    from django.utils import timezone

    from domus.inventory import selectors

    _valuation_stock(admin_client, branch_a, branch_b)
    for at in (None, timezone.localdate()):
        scope = selectors.ValuationScope.of(company_id=company.id, at=at)
        blocks = list(selectors.valuation_csv(scope, block=100))

        assert len(blocks) > 2
        assert all(len(block) >= 100 for block in blocks[:-1])
        assert b"".join(blocks) == b"".join(selectors.valuation_csv_portable(scope))


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_csv_is_in_the_reports_order_without_a_sort_for_every_scope(admin_client, company, branch_a, branch_b):
    """The export reads the parts in part-number order and each part's stock in branch order
    (nested loops over two indexes, no sort): its rows and order are the pages' query's and
    the Python formatting's, for parts and branches written out of that order, now and at
    a date, for the company, one branch and one part; the whole-company plan has no sort."""
    from django.db import connection, transaction
    from django.utils import timezone

    from domus.inventory import selectors
    from domus.organizations.tests.factories import BranchFactory

    branches = sorted([branch_a, branch_b, BranchFactory(company=company), BranchFactory(company=company)], key=str)
    parts = [SparePartFactory(part_number=number) for number in ("ZED-9", "M-10", "M-1", 'AB, "C"', "a-lower")]
    for branch in reversed(branches):  # stock rows written in the reverse of the report's order
        lines = [{"part_id": str(part.id), "quantity": str(n + 1), "unit_cost": "2.25"} for n, part in enumerate(parts)]
        _post(admin_client, {"kind": "receipt", "branch_id": str(branch.id), "lines": lines})
    scopes = [
        {"branch_id": None, "part_id": None},
        {"branch_id": branches[2].id, "part_id": None},
        {"branch_id": None, "part_id": parts[1].id},
    ]
    for at in (None, timezone.localdate()):
        for narrow in scopes:
            scope = selectors.ValuationScope.of(company_id=company.id, at=at, **narrow)
            exported = b"".join(selectors.valuation_csv(scope, block=64)).decode().splitlines()
            page = selectors.valuation_page(scope, after=None, limit=1000)

            assert b"".join(selectors.valuation_csv_portable(scope)).decode().splitlines() == exported
            assert [line.split(",")[0] for line in exported[1:]] == [str(row["part_id"]) for row in page]
            assert [line.rsplit(",", 4)[1] for line in exported[1:]] == [str(row["branch_id"]) for row in page]
            assert len(page) == (1 if narrow["branch_id"] else len(branches)) * (1 if narrow["part_id"] else len(parts))
        sql, params, settings = selectors.valuation_export_sql(
            selectors.ValuationScope.of(company_id=company.id, at=at)
        )
        with transaction.atomic(), connection.cursor() as cursor:
            for name, value in settings.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Sort" not in plan, plan
        assert "Gather" not in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_csv_cut_into_pieces_on_several_connections_is_the_single_querys_bytes(
    admin_client, company, branch_a, branch_b, settings, monkeypatch
):
    """With ``INVENTORY_EXPORT_CONNECTIONS`` above 1 the whole CSV is cut into ranges of
    part numbers written by that many backends at once in one snapshot: byte for byte
    what the single query writes, for the company and one branch, now and at a date, for
    2 to 4 pieces; each piece's plan has no sort either. (Committed rows: the other
    connections do not see a test's transaction.)"""
    from django.db import connection, transaction
    from django.utils import timezone

    from domus.core.copy_out import copy_csv
    from domus.inventory import selectors

    monkeypatch.setattr(selectors, "EXPORT_PIECE_MIN_PARTS", 1)  # pieces even of a few parts
    numbers = ("ZED-9", "M-10", "M-1", 'AB, "C"', "a-lower", "B-2", "B-10", "Ö-1")
    parts = [SparePartFactory(part_number=number) for number in numbers]
    for branch in (branch_b, branch_a):
        lines = [{"part_id": str(part.id), "quantity": str(n + 1), "unit_cost": "2.25"} for n, part in enumerate(parts)]
        _post(admin_client, {"kind": "receipt", "branch_id": str(branch.id), "lines": lines})
    for at in (None, timezone.localdate()):
        for branch_id in (None, branch_b.id):
            scope = selectors.ValuationScope.of(company_id=company.id, at=at, branch_id=branch_id)
            sql, params, run_with = selectors.valuation_export_sql(scope)
            single = b"".join(copy_csv(sql, params, settings=run_with))
            assert single.count(b"\n") == 1 + len(parts) * (1 if branch_id else 2)
            for pieces in (2, 3, 4):
                settings.INVENTORY_EXPORT_CONNECTIONS = pieces
                blocks = list(selectors.valuation_csv(scope, block=64))

                assert b"".join(blocks) == single
                assert all(len(block) >= 64 for block in blocks[:-1])
        with transaction.atomic(), connection.cursor() as cursor:
            queries = selectors.valuation_export_plan(scope)(cursor, 3)
            for name, value in run_with.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            for sql, params in queries:
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "Sort" not in plan, plan
                assert "Gather" not in plan, plan
        assert len(queries) == 3
