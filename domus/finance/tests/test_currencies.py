"""Amounts in two currencies are never added, netted or paid against each other: money is entered
in the company's or listing's currency, balances and statements are per currency, and the ledger
verifier flags a transaction that mixes currencies."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from domus.core.money import CurrencyCode
from domus.finance import selectors, services
from domus.finance.models import AccountCode, Invoice, LedgerTransaction, OwnerExpense, Payment, Payout
from domus.finance.services.ledger import Line, ledger_post
from domus.properties.tests.factories import ListingFactory

BALANCE = "/api/v1/finance/owners/{}/balance/"


@pytest.fixture
def paid_invoice(lease, staff):
    """The January rent (30,000 KES) paid in cash: the owner is owed 27,000 KES."""
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)
    services.payment_record_manual(
        actor=staff, method="cash", amount=Decimal("30000"), reference="R1", invoice_id=invoice.id
    )
    return invoice


@pytest.fixture
def usd_income(paid_invoice, company, owner):
    """100 USD collected for the same owner (a USD posting beside the KES ones)."""
    return ledger_post(
        company_id=company.id,
        kind="adjustment",
        reference_type="adjustment",
        reference_id=uuid4(),
        currency="USD",
        memo="USD rent",
        lines=[
            Line(AccountCode.BANK, debit=Decimal("100")),
            Line(AccountCode.OWNER_PAYABLE, credit=Decimal("100"), owner_id=owner.id),
        ],
    )


def _error_fields(response) -> set[str]:
    return set(response.json()["errors"])


@pytest.mark.django_db
def test_a_kes_balance_is_not_paid_out_in_usd(paid_invoice, client_for, staff, owner, company):
    body = {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "20000", "currency": "USD"}

    response = client_for(staff).post_json("/api/v1/finance/payouts/", body)

    assert response.status_code == 400
    assert _error_fields(response) == {"currency"}
    assert "KES" in response.json()["errors"]["currency"][0]
    assert not Payout.objects.exists()
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("27000.00")
    assert client_for(staff).post_json("/api/v1/finance/payouts/", {**body, "currency": "kes"}).status_code == 201


@pytest.mark.django_db
def test_expenses_are_in_the_listing_or_company_currency(paid_invoice, client_for, staff, owner, company, listing):
    url = f"/api/v1/finance/owners/{owner.id}/expenses/"
    body = {"company_id": str(company.id), "amount": "500", "description": "Plumber"}
    dollar_listing = ListingFactory(company=company, owner=owner, currency="USD")
    client = client_for(staff)

    in_usd = client.post_json(url, {**body, "currency": "USD"})
    usd_on_kes_listing = client.post_json(url, {**body, "currency": "USD", "listing_id": str(listing.id)})
    kes_on_usd_listing = client.post_json(url, {**body, "currency": "KES", "listing_id": str(dollar_listing.id)})

    assert [r.status_code for r in (in_usd, usd_on_kes_listing, kes_on_usd_listing)] == [400, 400, 400]
    assert all(_error_fields(r) == {"currency"} for r in (in_usd, usd_on_kes_listing, kes_on_usd_listing))
    assert not OwnerExpense.objects.exists()
    defaulted = client.post_json(url, {**body, "listing_id": str(dollar_listing.id)})
    assert (defaulted.status_code, defaulted.json()["currency"]) == (201, "USD")
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("27000.00")
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id, currency="USD") == Decimal("-500.00")


@pytest.mark.django_db
def test_balances_and_payout_checks_are_per_currency(usd_income, client_for, staff, owner, company):
    client = client_for(staff)

    balance = client.get(BALANCE.format(owner.id), {"company_id": str(company.id)}).json()
    too_much = client.post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "27050"}
    )

    assert (balance["currency"], balance["balance"]) == ("KES", "27000.00")
    assert balance["balances"] == [
        {"currency": "KES", "balance": "27000.00"},
        {"currency": "USD", "balance": "100.00"},
    ]
    assert too_much.status_code == 409  # 27,000 KES + 100 USD is not 27,100 of anything
    assert not Payout.objects.exists()


@pytest.mark.django_db
def test_statements_are_per_currency(usd_income, client_for, owner, company):
    url = f"/api/v1/finance/owners/{owner.id}/statement/"
    query = {"company_id": str(company.id), "start": "2020-01-01", "end": "2099-12-31"}
    client = client_for(owner)

    kes = client.get(url, query).json()
    usd = client.get(url, {**query, "currency": "usd"}).json()
    bad = client.get(url, {**query, "currency": "ABC"})

    assert (kes["currency"], kes["closing_balance"], kes["adjustments"]) == ("KES", "27000.00", "0.00")
    assert (usd["currency"], usd["closing_balance"], usd["adjustments"]) == ("USD", "100.00", "100.00")
    assert [line["memo"] for line in usd["lines"]] == ["USD rent"]
    assert bad.status_code == 400
    pdf = client.get(f"{url}pdf/", {**query, "currency": "USD"})
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")


@pytest.mark.django_db
def test_the_ledger_verifier_flags_a_transaction_that_mixes_currencies(paid_invoice, staff, owner, company):
    assert services.ledger_verify()["ok"]
    # A KES company's payout recorded in USD (as the API allowed before), posted in USD ...
    payout = Payout.objects.create(company=company, owner=owner, amount=Decimal("20000"), currency="USD")
    usd_payout = ledger_post(
        company_id=company.id,
        kind="payout",
        reference_type="payout",
        reference_id=payout.id,
        currency="USD",
        lines=[
            Line(AccountCode.OWNER_PAYABLE, debit=Decimal("20000"), owner_id=owner.id),
            Line(AccountCode.BANK, credit=Decimal("20000")),
        ],
    )
    # ... and a reversal of the KES payment posted in USD.
    payment = Payment.objects.get()
    original = LedgerTransaction.objects.get(kind="payment", reference_id=payment.id)
    odd_reversal = ledger_post(
        company_id=company.id,
        kind="odd_reversal",
        reference_type="payment",
        reference_id=payment.id,
        currency="USD",
        reverses=original,
        lines=[Line(AccountCode.BANK, debit=Decimal("1")), Line(AccountCode.FEE_REVENUE, credit=Decimal("1"))],
    )

    report = services.ledger_verify()

    assert report["ok"] is False
    assert report["unbalanced_transactions"] == []  # each balances on its own: the currencies are the fault
    assert set(report["mixed_currency_transactions"]) == {str(usd_payout.id), str(odd_reversal.id)}
    assert {"company_id": str(company.id), "owner_id": str(owner.id), "currency": "USD", "balance": "-20000.00"} in (
        report["negative_owner_balances"]
    )


def test_currency_codes_are_checked_against_iso_4217():
    adapter = TypeAdapter(CurrencyCode)

    assert [adapter.validate_python(code) for code in ("kes", "USD", " eur ")] == ["KES", "USD", "EUR"]
    for code in ("ABC", "XXX", "KE", "K3S"):
        with pytest.raises(ValidationError):
            adapter.validate_python(code)


@pytest.mark.django_db
def test_an_unknown_currency_code_is_a_400_where_money_is_entered(paid_invoice, client_for, staff, owner, company):
    body = {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "10", "currency": "ABC"}

    response = client_for(staff).post_json("/api/v1/finance/payouts/", body)
    listing = client_for(staff).post_json(
        "/api/v1/properties/",
        {"company_id": str(company.id), "title": "Flat", "price": "100", "currency": "ZZZ"},
    )

    assert response.status_code == 400
    assert any("currency" in field for field in response.json()["errors"])
    assert listing.status_code == 400
    assert any("currency" in field for field in listing.json()["errors"])
    assert not Payout.objects.exists()
