from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from domus.accounts.tests.factories import UserFactory
from domus.finance import selectors, services
from domus.finance.models import AppendOnly, Invoice, LedgerEntry, LedgerTransaction, Payout, PayoutStatus
from domus.finance.services import Line


@pytest.fixture
def paid_invoice(lease, staff):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    services.payment_record_manual(
        actor=staff, method="bank_transfer", amount=Decimal("30000"), reference="FT1", invoice_id=invoice.id
    )
    return invoice


@pytest.mark.django_db
def test_unbalanced_postings_are_refused(company):
    from uuid import uuid4

    with pytest.raises(ValueError, match="unbalanced"):
        services.ledger_post(
            company_id=company.id,
            kind="test",
            reference_type="test",
            reference_id=uuid4(),
            currency="KES",
            lines=[Line("bank", debit=Decimal("10")), Line("fee_revenue", credit=Decimal("9"))],
        )
    assert not LedgerTransaction.objects.exists()


@pytest.mark.django_db
def test_the_ledger_is_append_only(paid_invoice):
    posted = LedgerTransaction.objects.first()
    entry = LedgerEntry.objects.first()

    with pytest.raises(AppendOnly):
        posted.save()
    with pytest.raises(AppendOnly):
        entry.delete()


@pytest.mark.django_db
def test_verify_command_and_admin_endpoint(paid_invoice, client_for, admin_user, staff):
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert '"ok": true' in out.getvalue()

    assert client_for(staff).get("/api/v1/finance/ledger/verify/").status_code == 403
    report = client_for(admin_user).get("/api/v1/finance/ledger/verify/").json()
    assert report["ok"] is True
    assert report["transactions"] == 2


@pytest.mark.django_db
def test_verify_spots_an_unbalanced_transaction(paid_invoice):
    entry = LedgerEntry.objects.filter(debit__gt=0).first()
    # Tampering behind the services' back (an UPDATE is refused by the database on PostgreSQL,
    # so append a stray entry instead).
    LedgerEntry.objects.create(transaction_id=entry.transaction_id, account_id=entry.account_id, debit=1)

    with pytest.raises(CommandError):
        call_command("ledger_verify", stdout=StringIO())


@pytest.mark.django_db
def test_transactions_list_with_filters_and_scope(paid_invoice, client_for, staff, tenant, django_assert_num_queries):
    client = client_for(staff)
    client.get("/api/v1/finance/transactions/")

    with django_assert_num_queries(5):
        response = client.get("/api/v1/finance/transactions/")

    assert response.json()["count"] == 2
    payments = client.get("/api/v1/finance/transactions/?kind=payment").json()["results"]
    assert {entry["account"] for entry in payments[0]["entries"]} == {
        "bank",
        "receivables",
        "rent_billed",
        "owner_payable",
        "fee_revenue",
    }
    assert client.get("/api/v1/finance/transactions/?account=owner_payable").json()["count"] == 1
    assert client_for(tenant).get("/api/v1/finance/transactions/").json()["count"] == 0


@pytest.mark.django_db
def test_payouts_never_exceed_the_balance(paid_invoice, client_for, staff, owner, company):
    client = client_for(staff)
    body = {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "27000.01"}

    too_much = client.post_json("/api/v1/finance/payouts/", body)
    assert too_much.status_code == 409
    assert not Payout.objects.exists()

    response = client.post_json("/api/v1/finance/payouts/", {**body, "amount": "20000"})

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("7000.00")
    assert client_for(owner).get("/api/v1/finance/payouts/").json()["count"] == 1
    assert client_for(UserFactory()).get("/api/v1/finance/payouts/").json()["count"] == 0


@pytest.mark.django_db
def test_only_staff_make_payouts(paid_invoice, client_for, owner, company):
    response = client_for(owner).post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "10"}
    )

    assert response.status_code == 403
    assert not Payout.objects.exists()


@pytest.mark.django_db
def test_a_failed_payout_gives_the_money_back(paid_invoice, client_for, staff, owner, company):
    client = client_for(staff)
    payout_id = client.post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "5000"}
    ).json()["id"]
    assert client.post_json(f"/api/v1/finance/payouts/{payout_id}/status/", {"status": "processing"}).status_code == 200

    response = client.post_json(f"/api/v1/finance/payouts/{payout_id}/status/", {"status": "failed"})

    assert response.json()["status"] == PayoutStatus.FAILED
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("27000.00")
    assert client.post_json(f"/api/v1/finance/payouts/{payout_id}/status/", {"status": "paid"}).status_code == 409
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_owner_statement_json_and_pdf(paid_invoice, client_for, staff, owner, company):
    client_for(staff).post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "20000"}
    )
    query = f"company_id={company.id}&start=2000-01-01&end=2100-01-01"

    statement = client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/statement/?{query}").json()

    assert statement["rent_collected"] == "30000.00"
    assert statement["management_fees"] == "3000.00"
    assert statement["payouts"] == "20000.00"
    assert (statement["opening_balance"], statement["closing_balance"]) == ("0.00", "7000.00")
    assert [line["kind"] for line in statement["lines"]] == ["payment", "payout"]
    pdf = client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/statement/pdf/?{query}")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client_for(UserFactory()).get(f"/api/v1/finance/owners/{owner.id}/statement/?{query}").status_code == 404
    balance = client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/balance/?company_id={company.id}").json()
    assert balance["balance"] == "7000.00"


@pytest.mark.django_db
def test_owner_expenses_lower_the_balance_and_show_on_the_statement(paid_invoice, client_for, staff, owner, company):
    response = client_for(staff).post_json(
        f"/api/v1/finance/owners/{owner.id}/expenses/",
        {"company_id": str(company.id), "amount": "1500", "description": "Plumbing repair"},
    )

    assert response.status_code == 201, response.content
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("25500.00")
    query = f"company_id={company.id}&start=2000-01-01&end=2100-01-01"
    statement = client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/statement/?{query}").json()
    assert (statement["expenses"], statement["closing_balance"]) == ("1500.00", "25500.00")
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_owners_cannot_record_expenses(client_for, owner, company):
    from domus.finance.models import OwnerExpense

    response = client_for(owner).post_json(
        f"/api/v1/finance/owners/{owner.id}/expenses/",
        {"company_id": str(company.id), "amount": "1500", "description": "x"},
    )

    assert response.status_code == 403
    assert not OwnerExpense.objects.exists()


@pytest.mark.django_db
def test_a_refund_reverses_the_posting_and_reopens_the_invoice(paid_invoice, client_for, staff, tenant, owner, company):
    payment = paid_invoice.payments.get()
    assert (
        client_for(tenant).post_json(f"/api/v1/finance/payments/{payment.id}/refund/", {"reason": "x"}).status_code
        == 403
    )

    response = client_for(staff).post_json(
        f"/api/v1/finance/payments/{payment.id}/refund/", {"reason": "Double payment"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    paid_invoice.refresh_from_db()
    assert (paid_invoice.status, paid_invoice.amount_paid) == ("sent", Decimal("0.00"))
    assert LedgerTransaction.objects.get(kind="refund").reverses.kind == "payment"
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == 0
    again = client_for(staff).post_json(f"/api/v1/finance/payments/{payment.id}/refund/", {"reason": "again"})
    assert again.status_code == 409
    assert services.ledger_verify()["ok"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_updates_and_deletes_of_ledger_rows(paid_invoice):
    from django.db import DatabaseError, transaction

    entry = LedgerEntry.objects.filter(debit__gt=0).first()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(debit=entry.debit + 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="edited")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk)._raw_delete(LedgerEntry.objects.db)

    entry.refresh_from_db()
    assert services.ledger_verify()["ok"]
