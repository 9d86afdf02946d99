"""Invoices and owner statements name the issuing company and the recipient with their
addresses, and print amounts with grouped thousands and their currency."""

from datetime import date
from decimal import Decimal

import pytest

from domus.accounts.services.profiles import profile_write_for
from domus.finance import services
from domus.integrations.tests.pdf_text import pdf_text
from domus.organizations.services import company_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def letterhead(company):
    return company_update(
        actor=None,
        company=company,
        name="Acme",
        legal_name="Acme Realty Ltd",
        address="Kenyatta Avenue 12",
        city="Nairobi",
        country="KE",
        registration_number="PVT-2019-0042",
        tax_id="P051234567X",
    )


def _address(user, **fields) -> None:
    profile_write_for(actor=user, user=user, fields=fields)


def test_the_invoice_pdf_shows_issuer_recipient_and_grouped_amounts(letterhead, staff, tenant):
    tenant.first_name, tenant.last_name = "Tito", "Tenant"
    tenant.save()
    _address(tenant, address="Argwings Kodhek Road 7", city="Nairobi", country="KE")
    invoice = services.invoice_create(
        actor=staff,
        company_id=letterhead.id,
        recipient=tenant,
        lines=[{"kind": "other", "description": "Renovation", "unit_price": Decimal("1234567.50"), "tax_rate": 0}],
        due_date=date(2027, 1, 31),
        issue_date=date(2027, 1, 1),
        currency="KES",
    )

    text = pdf_text(services.invoice_pdf(invoice))

    for expected in (
        "Acme Realty Ltd",
        "Kenyatta Avenue 12",
        "Nairobi, KE",
        "Registration no. PVT-2019-0042",
        "Tax ID P051234567X",
        "Bill to",
        "Tito Tenant",
        "Argwings Kodhek Road 7",
        "KES 1,234,567.50",
        "1,234,567.50",
    ):
        assert expected in text, expected
    assert "1234567.50" not in text


def test_the_owner_statement_pdf_shows_the_company_the_owner_and_grouped_amounts(letterhead, owner):
    owner.first_name, owner.last_name = "Olive", "Owner"
    owner.save()
    _address(owner, address="Karen Road 5", city="Nairobi", country="KE")
    statement = {
        "company_id": str(letterhead.id),
        "owner_id": str(owner.id),
        "currency": "KES",
        "period_start": "2027-01-01",
        "period_end": "2027-01-31",
        "opening_balance": "0.00",
        "rent_collected": "1234567.50",
        "management_fees": "0.00",
        "expenses": "0.00",
        "refunds": "0.00",
        "payouts": "0.00",
        "payouts_returned": "0.00",
        "adjustments": "0.00",
        "closing_balance": "1234567.50",
        "lines": [
            {
                "date": "2027-01-05",
                "kind": "payment",
                "memo": "Rent January",
                "credit": "1234567.50",
                "debit": "0.00",
                "balance": "1234567.50",
            }
        ],
    }

    text = pdf_text(services.owner_statement_pdf(statement=statement))

    for expected in ("Acme Realty Ltd", "Kenyatta Avenue 12", "Tax ID P051234567X", "Olive Owner", "Karen Road 5"):
        assert expected in text, expected
    assert "KES 1,234,567.50" in text
    assert "1234567.50" not in text
