"""Money under real concurrency (PostgreSQL, real threads, one connection each)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from domus.core.tests.threads import race
from domus.finance import selectors, services
from domus.finance.models import (
    AccountCode,
    CallbackReview,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
)
from domus.finance.tests.conftest import CALLBACK_URL, callback


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_callback_pay_once(api_client, client_for, tenant, lease, daraja):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    response = client_for(tenant).post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)}
    )
    assert response.status_code == 201

    statuses = race(10, lambda _: api_client.post_json(CALLBACK_URL, callback("ws_CO_1")).status_code)

    assert statuses == [200] * 10
    assert Payment.objects.get().status == "paid"
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    assert services.ledger_verify()["ok"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_payouts_never_exceed_the_balance(client_for, staff, owner, company, lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    services.payment_record_manual(
        actor=staff, method="cash", amount=Decimal("30000"), reference="R1", invoice_id=invoice.id
    )
    clients = [client_for(staff), client_for(staff)]
    body = {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "20000"}

    statuses = race(2, lambda i: clients[i].post_json("/api/v1/finance/payouts/", body).status_code)

    assert sorted(statuses) == [201, 409]
    assert Payout.objects.count() == 1
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("7000.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_invoice_job_run_twice_at_once_issues_one_invoice(lease):
    issued = race(2, lambda _: services.rent_invoices_issue(today=date(2026, 1, 5)))

    assert sorted(issued) == [0, 1]
    invoice = Invoice.objects.get(lease=lease)
    assert invoice.number == 1
    assert LedgerTransaction.objects.filter(kind="invoice").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_retrying_at_once_start_one_push(api_client, client_for, tenant, admin_user, lease, daraja):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    payment_id = (
        client_for(tenant)
        .post_json("/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)})
        .json()["id"]
    )
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=1037))
    clients = [client_for(admin_user), client_for(admin_user)]

    statuses = race(2, lambda i: clients[i].post(f"/api/v1/finance/payments/{payment_id}/retry/").status_code)

    assert sorted(statuses) == [201, 409]
    assert Payment.objects.filter(retry_of_id=payment_id).count() == 1
    assert daraja.push.call_count == 2  # the first push and one retry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_void_racing_a_success_callback_is_refused_and_the_money_applied(
    api_client, client_for, staff, tenant, lease, daraja
):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    client_for(tenant).post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)}
    )
    staff_client = client_for(staff)

    def work(index: int) -> int:
        if index == 0:
            return api_client.post_json(CALLBACK_URL, callback("ws_CO_1")).status_code
        return staff_client.post_json(f"/api/v1/finance/invoices/{invoice.id}/void/", {"reason": "x"}).status_code

    statuses = race(2, work)

    # Whichever goes first, the void is refused: the payment is pending, or it has paid.
    assert sorted(statuses) == [200, 409]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    assert Payment.objects.get().status == "paid"
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert services.ledger_verify()["ok"]


def _tenant_credit() -> Decimal:
    row = LedgerEntry.objects.filter(account__code=AccountCode.TENANT_CREDIT).aggregate(c=Sum("credit"), d=Sum("debit"))
    return (row["c"] or Decimal(0)) - (row["d"] or Decimal(0))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_concurrent_cash_payments_of_one_invoice_accept_one(client_for, staff, lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    clients = [client_for(staff) for _ in range(5)]
    body = {"method": "cash", "amount": "30000", "reference": "R1", "invoice_id": str(invoice.id)}

    responses = race(5, lambda i: clients[i].post_json("/api/v1/finance/payments/", body))

    assert sorted(response.status_code for response in responses) == [201, 409, 409, 409, 409]
    refused = [response.json() for response in responses if response.status_code == 409]
    assert all(answer["code"] == "CONFLICT_ERROR" and "paid" in answer["detail"] for answer in refused)
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    assert _tenant_credit() == Decimal("0.00")
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert services.ledger_verify()["ok"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cash_payment_racing_an_mpesa_success_never_overpays_the_invoice(
    api_client, client_for, staff, tenant, lease, daraja
):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    client_for(tenant).post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)}
    )
    staff_client = client_for(staff)
    body = {"method": "cash", "amount": "30000", "reference": "R1", "invoice_id": str(invoice.id)}

    def work(index: int) -> int:
        if index == 0:
            return api_client.post_json(CALLBACK_URL, callback("ws_CO_1")).status_code
        return staff_client.post_json("/api/v1/finance/payments/", body).status_code

    statuses = race(2, work)

    # M-Pesa money cannot be refused: if the cash came first it is held as credit and reviewed;
    # if M-Pesa came first the cash is refused. Either way the invoice is paid exactly once.
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    if sorted(statuses) == [200, 201]:
        assert _tenant_credit() == Decimal("30000.00")
        assert CallbackReview.objects.get().reason == "invoice_not_open"
    else:
        assert sorted(statuses) == [200, 409]
        assert _tenant_credit() == Decimal("0.00")
    assert services.ledger_verify()["ok"]
