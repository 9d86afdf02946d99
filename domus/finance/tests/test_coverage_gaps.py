"""Coverage gaps: an agent's view of payments, admin-list ordering, retries by status, the M-Pesa
backend's STK route for rent, a payout's whole life, and gapless invoice numbers across a rollback."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import ErrorCode
from domus.core.roles import Role
from domus.finance import selectors, services
from domus.finance.models import (
    AccountCode,
    Invoice,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    PayoutStatus,
)
from domus.finance.tests.conftest import CALLBACK_URL, callback
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory

PAYMENTS = "/api/v1/properties/payments/"
ADMIN_LIST = "/api/v1/properties/payments/admin-list/"


@pytest.fixture
def invoice(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    return Invoice.objects.get(lease=lease)


def _listing_payment(actor, listing, amount: str, reference: str) -> Payment:
    """A manual deposit recorded by the company's staff against ``listing``."""
    return services.payment_record_manual(
        actor=actor,
        method="bank_transfer",
        amount=Decimal(amount),
        reference=reference,
        listing_id=listing.id,
        purpose="deposit",
    )


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _stk(client, invoice):
    return client.post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)}
    )


# 1. An agent sees the payments of the listings they are the agent of ---------------------------


@pytest.mark.django_db
def test_an_agent_sees_only_the_payments_of_their_own_listings(client_for, company, staff):
    agent = MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    colleague = MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    mine = _listing_payment(staff, ListingFactory(company=company, agent=agent), "1000", "MINE")
    colleagues = _listing_payment(staff, ListingFactory(company=company, agent=colleague), "2000", "THEIRS")
    other_company = CompanyFactory()
    other_staff = MembershipFactory(company=other_company, role=Role.STAFF).user
    foreign = _listing_payment(other_staff, ListingFactory(company=other_company), "3000", "FOREIGN")
    client = client_for(agent)

    assert _ids(client.get(PAYMENTS)) == [str(mine.id)]
    assert _ids(client.get("/api/v1/finance/payments/")) == [str(mine.id)]
    assert client.get(f"/api/v1/finance/payments/{mine.id}/").json()["reference"] == "MINE"
    for hidden in (colleagues, foreign):
        response = client.get(f"/api/v1/finance/payments/{hidden.id}/")
        assert response.status_code == 404
        assert response.json()["code"] == ErrorCode.NOT_FOUND_ERROR
    # Company staff (unlike an agent) see every payment of their company, none of another's.
    assert sorted(_ids(client_for(staff).get(PAYMENTS))) == sorted([str(mine.id), str(colleagues.id)])


@pytest.mark.django_db
def test_an_agent_loses_sight_of_payments_when_taken_off_the_listing(client_for, company, staff):
    agent = MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    listing = ListingFactory(company=company, agent=agent)
    payment = _listing_payment(staff, listing, "1000", "R1")
    client = client_for(agent)
    assert _ids(client.get(PAYMENTS)) == [str(payment.id)]

    listing.agent = None
    listing.save(update_fields=["agent"])

    assert client.get(PAYMENTS).json()["count"] == 0
    assert client.get(f"/api/v1/finance/payments/{payment.id}/").status_code == 404


# 2. The admin list honours ``ordering`` --------------------------------------------------------


@pytest.fixture
def three_payments(staff, listing):
    """Amounts 200, 100, 300 created one day apart (oldest first)."""
    payments = [_listing_payment(staff, listing, amount, f"R-{amount}") for amount in ("200", "100", "300")]
    start = timezone.now() - timedelta(days=10)
    for offset, payment in enumerate(payments):
        Payment.objects.filter(pk=payment.pk).update(created_at=start + timedelta(days=offset))
    return payments


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("amount", ["100.00", "200.00", "300.00"]),
        ("-amount", ["300.00", "200.00", "100.00"]),
        ("created_at", ["200.00", "100.00", "300.00"]),
        ("-created_at", ["300.00", "100.00", "200.00"]),
    ],
)
def test_the_admin_list_honours_ordering(admin_client, three_payments, ordering, expected):
    response = admin_client.get(f"{ADMIN_LIST}?ordering={ordering}")

    assert response.status_code == 200, response.content
    assert [row["amount"] for row in response.json()["results"]] == expected


@pytest.mark.django_db
def test_the_admin_list_defaults_to_newest_first(admin_client, three_payments):
    response = admin_client.get(ADMIN_LIST)

    assert [row["amount"] for row in response.json()["results"]] == ["300.00", "100.00", "200.00"]


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["phone", "-result_desc", "amount,payer__password"])
def test_the_admin_list_refuses_an_unknown_ordering_field(admin_client, three_payments, ordering):
    response = admin_client.get(f"{ADMIN_LIST}?ordering={ordering}")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == ErrorCode.VALIDATION_ERROR
    assert body["detail"] == "Unknown ordering field."
    assert list(body["errors"]) == ["ordering"]
    assert ordering.split(",")[-1] in body["errors"]["ordering"][0]


# 3. Retrying a payment: which statuses may be retried --------------------------------------------


def _failed(api_client, staff, payment_id):
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=17))


def _expired(api_client, staff, payment_id):
    assert services.payment_expire(payment_id=payment_id)


def _paid(api_client, staff, payment_id):
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))


def _refunded(api_client, staff, payment_id):
    _paid(api_client, staff, payment_id)
    payment = Payment.objects.get(pk=payment_id)
    services.payment_refund(actor=staff, payment=payment, reason="Double payment")


def _pushed_then(settle, status, api_client, tenant_client, staff, invoice) -> str:
    """A tenant's STK push on ``invoice``, settled by ``settle`` into ``status``; its id."""
    payment_id = _stk(tenant_client, invoice).json()["id"]
    settle(api_client, staff, payment_id)
    assert Payment.objects.get(pk=payment_id).status == status
    return payment_id


@pytest.mark.django_db
@pytest.mark.parametrize(("settle", "status"), [(_failed, "failed"), (_expired, "expired")])
def test_a_failed_or_expired_payment_is_retried_with_a_new_push(
    api_client, client_for, tenant, staff, admin_user, invoice, daraja, settle, status
):
    payment_id = _pushed_then(settle, status, api_client, client_for(tenant), staff, invoice)

    response = client_for(admin_user).post(f"/api/v1/finance/payments/{payment_id}/retry/")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["retry_of_id"], body["amount"]) == ("pending", payment_id, "30000.00")
    retry = Payment.objects.get(pk=body["id"])
    assert (retry.invoice_id, retry.payer_id, retry.phone) == (invoice.id, tenant.id, "254712345678")
    assert retry.checkout_request_id == "ws_CO_2"
    assert daraja.push.call_count == 2
    assert daraja.last_push()["Amount"] == 30000
    assert Payment.objects.get(pk=payment_id).status == status  # the history is kept
    # The retry's own success pays the invoice.
    api_client.post_json(CALLBACK_URL, callback("ws_CO_2"))
    invoice.refresh_from_db()
    assert invoice.status == "paid"


@pytest.mark.django_db
@pytest.mark.parametrize(("settle", "status"), [(_paid, "paid"), (_refunded, "refunded")])
def test_a_paid_or_refunded_payment_is_not_retried(
    api_client, client_for, tenant, staff, admin_user, invoice, daraja, settle, status
):
    payment_id = _pushed_then(settle, status, api_client, client_for(tenant), staff, invoice)

    response = client_for(admin_user).post(f"/api/v1/finance/payments/{payment_id}/retry/")

    assert response.status_code == 409
    assert response.json()["code"] == ErrorCode.CONFLICT_ERROR
    assert Payment.objects.count() == 1
    assert daraja.push.call_count == 1


@pytest.mark.django_db
def test_a_second_retry_is_refused_while_the_first_is_pending(
    api_client, client_for, tenant, admin_user, invoice, daraja
):
    payment_id = _stk(client_for(tenant), invoice).json()["id"]
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=17))
    client = client_for(admin_user)
    assert client.post(f"/api/v1/finance/payments/{payment_id}/retry/").status_code == 201

    again = client.post(f"/api/v1/finance/payments/{payment_id}/retry/")

    assert again.status_code == 409
    assert Payment.objects.filter(retry_of_id=payment_id).count() == 1
    assert daraja.push.call_count == 2


# 4. The M-Pesa backend's STK route with purpose "rent" ------------------------------------------


@pytest.mark.django_db
def test_the_original_listing_route_starts_a_rent_payment(api_client, client_for, tenant, listing, daraja):
    response = client_for(tenant).post_json(
        f"/api/v1/properties/payments/mpesa/stk/{listing.id}/",
        {"phone": "0712345678", "purpose": "rent", "amount": "30000"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["purpose"], body["status"], body["listing_id"], body["invoice_id"]) == (
        "rent",
        "pending",
        str(listing.id),
        None,
    )
    payment = Payment.objects.get()
    assert (payment.company_id, payment.payer_id) == (listing.company_id, tenant.id)
    assert payment.amount == Decimal("30000.00")
    sent = daraja.last_push()
    assert (sent["Amount"], sent["TransactionDesc"], sent["AccountReference"]) == (30000, "Rent", str(payment.id)[:12])

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))

    payment.refresh_from_db()
    assert (payment.status, payment.amount_applied, payment.amount_credited) == (
        "paid",
        Decimal("0.00"),
        Decimal("30000.00"),
    )
    posted = LedgerTransaction.objects.get(kind="payment", reference_id=payment.id)
    entries = {(e.account.code, e.debit, e.credit) for e in posted.entries.select_related("account")}
    assert entries == {
        (AccountCode.MPESA_CLEARING, Decimal("30000.00"), Decimal("0.00")),
        (AccountCode.TENANT_CREDIT, Decimal("0.00"), Decimal("30000.00")),
    }
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_a_rent_push_needs_an_amount(client_for, tenant, listing, daraja):
    response = client_for(tenant).post_json(
        f"/api/v1/properties/payments/mpesa/stk/{listing.id}/", {"phone": "0712345678", "purpose": "rent"}
    )

    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    assert not Payment.objects.exists()
    assert daraja.push.call_count == 0


# 5. A payout's whole life: pending -> processing -> paid ---------------------------------------


@pytest.mark.django_db
def test_a_payout_moves_pending_processing_paid(invoice, client_for, staff, owner, company):
    client = client_for(staff)
    client.post_json(
        "/api/v1/finance/payments/",
        {"method": "bank_transfer", "amount": "30000", "reference": "FT1", "invoice_id": str(invoice.id)},
    )
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("27000.00")
    created = client.post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "20000"}
    )
    assert created.status_code == 201, created.content
    payout_id = created.json()["id"]
    assert created.json()["status"] == PayoutStatus.PENDING
    # The money leaves the owner's balance when the payout is made, not when it is paid.
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("7000.00")
    url = f"/api/v1/finance/payouts/{payout_id}/status/"

    processing = client.post_json(url, {"status": "processing"})
    assert (processing.status_code, processing.json()["status"]) == (200, "processing")
    paid = client.post_json(url, {"status": "paid", "reference": "BANK-REF-7"})

    assert (paid.status_code, paid.json()["status"], paid.json()["reference"]) == (200, "paid", "BANK-REF-7")
    payout = Payout.objects.get(pk=payout_id)
    assert (payout.status, payout.reference) == (PayoutStatus.PAID, "BANK-REF-7")
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("7000.00")
    assert LedgerTransaction.objects.filter(kind="payout", reference_id=payout.id).count() == 1
    assert not LedgerTransaction.objects.filter(kind="payout_failed").exists()
    payable = LedgerEntry.objects.get(transaction__kind="payout", account__code=AccountCode.OWNER_PAYABLE)
    assert (payable.debit, payable.owner_id) == (Decimal("20000.00"), owner.id)
    balance = client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/balance/?company_id={company.id}")
    assert balance.json()["balance"] == "7000.00"
    assert client_for(owner).get(f"/api/v1/finance/payouts/{payout_id}/").json()["status"] == "paid"
    # A paid payout is final: it can neither fail (which would hand the money back) nor go back.
    for status in ("failed", "processing", "pending"):
        refused = client.post_json(url, {"status": status})
        assert refused.status_code == 409
        assert refused.json()["code"] == ErrorCode.CONFLICT_ERROR
    assert Payout.objects.get(pk=payout_id).status == PayoutStatus.PAID
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("7000.00")
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_only_company_staff_move_a_payout(invoice, client_for, staff, owner, company):
    services.payment_record_manual(
        actor=staff, method="bank_transfer", amount=Decimal("30000"), reference="FT1", invoice_id=invoice.id
    )
    payout = services.payout_create(actor=staff, company_id=company.id, owner_id=owner.id, amount=Decimal("1000"))

    response = client_for(owner).post_json(f"/api/v1/finance/payouts/{payout.id}/status/", {"status": "paid"})

    assert response.status_code == 403
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PENDING


# 6. Gapless invoice numbers across a rollback --------------------------------------------------


def _draft(staff, company, tenant):
    return services.invoice_create(
        actor=staff,
        company_id=company.id,
        recipient=tenant,
        lines=[{"description": "Service charge", "unit_price": "1500.00"}],
        due_date=date(2026, 2, 15),
        issue_date=date(2026, 2, 1),
    )


@pytest.mark.django_db
def test_a_rolled_back_invoice_gives_its_number_back(staff, company, tenant):
    assert _draft(staff, company, tenant).number == 1

    numbered = []

    def create_then_fail():
        with transaction.atomic():
            numbered.append(_draft(staff, company, tenant).number)
            raise RuntimeError("something after the invoice failed")

    with pytest.raises(RuntimeError):
        create_then_fail()

    assert numbered == [2]

    assert Invoice.objects.filter(company=company).count() == 1
    assert _draft(staff, company, tenant).number == 2
    assert sorted(Invoice.objects.filter(company=company).values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_a_failure_inside_invoice_create_after_numbering_leaves_no_gap(staff, company, tenant, monkeypatch):
    from domus.finance.services import invoices

    def broken_audit(**kwargs):
        raise RuntimeError("audit is down")

    monkeypatch.setattr(invoices, "audit_create", broken_audit)
    with pytest.raises(RuntimeError):
        _draft(staff, company, tenant)
    monkeypatch.undo()

    assert not Invoice.objects.exists()
    assert _draft(staff, company, tenant).number == 1
    assert _draft(staff, company, tenant).number == 2
