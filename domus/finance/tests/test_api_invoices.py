from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from domus.accounts.tests.factories import UserFactory
from domus.finance import services
from domus.finance.models import Invoice, InvoiceStatus, LedgerTransaction


def _body(company, recipient, **extra):
    return {
        "company_id": str(company.id),
        "recipient_id": str(recipient.id),
        "issue_date": "2026-02-01",
        "due_date": "2026-02-15",
        "lines": [
            {"description": "Service charge", "quantity": "2", "unit_price": "1500.00", "tax_rate": "16"},
            {"description": "Water", "unit_price": "800.00"},
        ],
        **extra,
    }


@pytest.mark.django_db
def test_staff_create_invoices_with_totals_and_gapless_numbers(client_for, staff, company, tenant, audit_log):
    client = client_for(staff)

    first = client.post_json("/api/v1/finance/invoices/", _body(company, tenant))
    second = client.post_json("/api/invoices/", _body(company, tenant))

    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("3800.00", "480.00", "4280.00")
    assert body["status"] == "draft"
    assert [line["amount"] for line in body["lines"]] == ["3000.00", "800.00"]
    assert (body["number"], second.json()["number"]) == ("INV-000001", "INV-000002")
    assert audit_log.objects.filter(action="create", resource_id=body["id"]).exists()


@pytest.mark.django_db
def test_numbers_are_per_company(client_for, staff, company, tenant):
    from domus.crm.tests.factories import ClientFactory
    from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

    other = CompanyFactory()
    other_staff = MembershipFactory(company=other).user
    ClientFactory(company=other, user=tenant)
    client_for(staff).post_json("/api/v1/finance/invoices/", _body(company, tenant))

    response = client_for(other_staff).post_json("/api/v1/finance/invoices/", _body(other, tenant))

    assert response.json()["number"] == "INV-000001"


@pytest.mark.django_db
def test_a_tenant_cannot_create_an_invoice(client_for, company, tenant):
    response = client_for(tenant).post_json("/api/v1/finance/invoices/", _body(company, tenant))

    assert response.status_code == 403
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_bad_lines_are_a_400(client_for, staff, company, tenant):
    response = client_for(staff).post_json("/api/v1/finance/invoices/", _body(company, tenant, lines=[]))

    assert response.status_code == 400
    assert "lines" in str(response.json()["errors"])


@pytest.mark.django_db
def test_only_drafts_are_edited(client_for, staff, company, tenant):
    client = client_for(staff)
    invoice_id = client.post_json("/api/v1/finance/invoices/", _body(company, tenant)).json()["id"]

    edited = client.patch_json(
        f"/api/v1/finance/invoices/{invoice_id}/", {"lines": [{"description": "Rent", "unit_price": "100.00"}]}
    )
    assert edited.status_code == 200
    assert edited.json()["total"] == "100.00"
    client.post(f"/api/v1/finance/invoices/{invoice_id}/send/")

    response = client.patch_json(f"/api/v1/finance/invoices/{invoice_id}/", {"notes": "late edit"})

    assert response.status_code == 409
    assert Invoice.objects.get(pk=invoice_id).notes == ""


@pytest.mark.django_db
def test_send_issues_posts_emails_the_pdf(client_for, staff, company, tenant, django_capture_on_commit_callbacks):
    client = client_for(staff)
    invoice_id = client.post_json("/api/v1/finance/invoices/", _body(company, tenant)).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/finance/invoices/{invoice_id}/send/")

    assert response.status_code == 200
    assert response.json()["status"] == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tenant@example.test"]
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("INV-000001.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    posted = LedgerTransaction.objects.get(kind="invoice", reference_id=invoice_id)
    assert posted.amount == Decimal("4280.00")
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_the_recipient_reads_and_strangers_do_not(client_for, staff, company, tenant):
    invoice_id = client_for(staff).post_json("/api/v1/finance/invoices/", _body(company, tenant)).json()["id"]

    assert client_for(tenant).get(f"/api/v1/finance/invoices/{invoice_id}/").status_code == 200
    assert client_for(UserFactory()).get(f"/api/v1/finance/invoices/{invoice_id}/").status_code == 404
    assert client_for(UserFactory()).get("/api/invoices/").json()["count"] == 0
    pdf = client_for(tenant).get(f"/api/v1/finance/invoices/{invoice_id}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_void_keeps_the_record_and_reverses_the_posting(client_for, staff, company, tenant):
    client = client_for(staff)
    invoice_id = client.post_json("/api/v1/finance/invoices/", _body(company, tenant)).json()["id"]
    client.post(f"/api/v1/finance/invoices/{invoice_id}/send/")

    response = client.delete(f"/api/invoices/{invoice_id}/")

    assert response.status_code == 204
    invoice = Invoice.objects.get(pk=invoice_id)
    assert invoice.status == InvoiceStatus.VOID
    reversal = LedgerTransaction.objects.get(kind="invoice_void", reference_id=invoice_id)
    assert reversal.reverses.kind == "invoice"
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_invoice_list_query_count_is_flat(client_for, staff, company, tenant, django_assert_num_queries):
    client = client_for(staff)
    for _ in range(3):
        client.post_json("/api/v1/finance/invoices/", _body(company, tenant))

    with django_assert_num_queries(4):
        response = client.get("/api/v1/finance/invoices/")

    assert response.json()["count"] == 3


@pytest.mark.django_db
def test_the_rent_job_issues_each_period_once(lease, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rent_invoices_issue(today=date(2026, 1, 5)) == 1
    assert services.rent_invoices_issue(today=date(2026, 1, 6)) == 0

    invoice = Invoice.objects.get(lease=lease)
    assert (invoice.period_start, invoice.due_date, invoice.total) == (
        date(2026, 1, 1),
        date(2026, 1, 5),
        Decimal("30000.00"),
    )
    assert invoice.status == InvoiceStatus.SENT
    assert lease.periods.get(period_start=date(2026, 1, 1)).invoice_id == invoice.id
    assert services.rent_invoices_issue(today=date(2026, 2, 5)) == 1
    assert Invoice.objects.filter(lease=lease).count() == 2
    assert len(mail.outbox) == 1  # the first one, sent within the captured block


@pytest.mark.django_db
def test_announcing_a_batch_reads_it_in_two_queries(lease, django_assert_num_queries):
    services.rent_invoices_issue(today=date(2026, 3, 5))  # January to March: three invoices
    ids = list(Invoice.objects.filter(lease=lease).values_list("pk", flat=True))
    mail.outbox.clear()

    # The invoices with their recipients, their lines, the letterheads, the recipients' addresses.
    with django_assert_num_queries(4):
        services.invoices_announce(invoice_ids=ids)

    expected = sorted(f"{invoice.display_number}.pdf" for invoice in Invoice.objects.filter(pk__in=ids))
    assert len(expected) == 3
    assert sorted(message.attachments[0][0] for message in mail.outbox) == expected


@pytest.mark.django_db
def test_late_fees_apply_once_after_the_grace_period(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get(lease=lease)

    assert services.late_fees_apply(today=date(2026, 1, 10)) == 0  # still within grace
    assert services.late_fees_apply(today=date(2026, 1, 11)) == 1
    assert services.late_fees_apply(today=date(2026, 1, 12)) == 0

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OVERDUE
    assert invoice.total == Decimal("31500.00")
    assert LedgerTransaction.objects.filter(kind="late_fee", reference_id=invoice.id).count() == 1
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_a_batch_that_clashes_falls_back_to_one_period_at_a_time(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    lease.periods.update(invoice_id=None)  # as if another run's mark were not visible yet

    assert services.rent_invoices_issue(today=date(2026, 2, 5)) == 1  # only February is new

    assert sorted(Invoice.objects.filter(lease=lease).values_list("number", flat=True)) == [1, 2]
    assert services.ledger_verify()["ok"]
