"""Money only moves for an active company, and staff invoice only the users their company
has a relationship with (a lease, a client or lead record, a membership)."""

from datetime import date

import pytest
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import ClientFactory
from domus.finance import services
from domus.finance.models import Invoice, InvoiceStatus, Payment

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/finance/invoices/"


def _body(company, recipient):
    return {
        "company_id": str(company.id),
        "recipient_id": str(recipient.id),
        "issue_date": "2026-02-01",
        "due_date": "2026-02-15",
        "lines": [{"description": "Service charge", "unit_price": "1500.00"}],
    }


@pytest.fixture
def stranger(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def rent_invoice(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    return Invoice.objects.get(lease=lease)


def _set_company(company, **fields) -> None:
    for name, value in fields.items():
        setattr(company, name, value)
    company.save()


def test_staff_cannot_invoice_a_stranger(client_for, staff, company, stranger):
    response = client_for(staff).post_json(INVOICES, _body(company, stranger))

    assert response.status_code == 400, response.content
    assert "recipient_id" in response.json()["errors"]
    assert not Invoice.objects.exists()


def test_staff_invoice_their_tenants_and_clients(client_for, staff, company, lease, tenant, stranger):
    ClientFactory(company=company, user=stranger)
    client = client_for(staff)

    assert client.post_json(INVOICES, _body(company, tenant)).status_code == 201
    assert client.post_json(INVOICES, _body(company, stranger)).status_code == 201
    assert set(Invoice.objects.values_list("recipient_id", flat=True)) == {tenant.id, stranger.id}


def test_a_draft_invoice_cannot_be_redirected_to_a_stranger(client_for, staff, company, lease, tenant, stranger):
    created = client_for(staff).post_json(INVOICES, _body(company, tenant)).json()

    response = client_for(staff).patch_json(f"{INVOICES}{created['id']}/", {"recipient_id": str(stranger.id)})

    assert response.status_code == 400
    assert Invoice.objects.get(pk=created["id"]).recipient_id == tenant.id


def test_a_company_in_onboarding_invoices_nobody(client_for, staff, company, lease, tenant):
    _set_company(company, status="draft", activated_at=None)

    response = client_for(staff).post_json(INVOICES, _body(company, tenant))

    assert response.status_code == 409, response.content
    assert "draft, not active" in response.json()["detail"]
    assert not Invoice.objects.exists()


def test_a_suspended_company_sends_no_invoice(client_for, staff, company, lease, tenant, mailoutbox):
    created = client_for(staff).post_json(INVOICES, _body(company, tenant)).json()
    _set_company(company, status="suspended")

    response = client_for(staff).post(f"{INVOICES}{created['id']}/send/")

    assert response.status_code == 409
    invoice = Invoice.objects.get(pk=created["id"])
    assert (invoice.status, invoice.sent_at) == (InvoiceStatus.DRAFT, None)
    assert mailoutbox == []


def test_a_deleted_company_takes_no_mpesa_payment(client_for, tenant, company, rent_invoice, daraja):
    _set_company(company, deleted_at=timezone.now())

    response = client_for(tenant).post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(rent_invoice.id)}
    )

    assert response.status_code == 409, response.content
    assert not Payment.objects.exists()
    assert daraja.count == 0


def test_a_deleted_company_takes_no_listing_payment(client_for, company, listing, daraja):
    _set_company(company, deleted_at=timezone.now())
    customer = UserFactory(role=Role.CUSTOMER)

    response = client_for(customer).post_json(
        f"/api/v1/properties/payments/mpesa/stk/{listing.id}/",
        {"phone": "0712345678", "purpose": "booking_fee", "amount": "2500"},
    )

    assert response.status_code == 409, response.content
    assert not Payment.objects.exists()


def test_a_suspended_company_records_no_manual_payment(client_for, staff, company, rent_invoice):
    _set_company(company, status="suspended")

    response = client_for(staff).post_json(
        "/api/v1/finance/payments/",
        {"method": "cash", "amount": "100", "reference": "R-1", "invoice_id": str(rent_invoice.id)},
    )

    assert response.status_code == 409
    assert not Payment.objects.exists()
    rent_invoice.refresh_from_db()
    assert rent_invoice.amount_paid == 0
