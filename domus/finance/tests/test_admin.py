"""The back office lists and opens every finance and leasing model; the ledger is read-only there."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.finance import services
from domus.finance.models import Invoice


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_every_model_is_registered_and_opens(superuser_client, lease, staff, owner, company):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get()
    services.payment_record_manual(
        actor=staff, method="cash", amount=Decimal(100), reference="R", invoice_id=invoice.id
    )
    services.payout_create(actor=staff, company_id=company.id, owner_id=owner.id, amount=Decimal(50))
    services.owner_expense_create(
        actor=staff, company_id=company.id, owner_id=owner.id, amount=Decimal(1), description="x"
    )
    superuser_client.post("/api/v1/finance/payments/mpesa/callback/", data="bad", content_type="application/json")

    for label in ("finance", "leasing"):
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model
            opts = model._meta
            changelist = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
            assert changelist.status_code == 200, model
            row = model.objects.first()
            if row is not None and opts.model_name not in ("invoicecounter",):
                change = superuser_client.get(
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
                )
                assert change.status_code == 200, model


@pytest.mark.django_db
def test_ledger_rows_cannot_be_changed_in_the_admin(superuser_client, lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    from domus.finance.models import LedgerTransaction

    posted = LedgerTransaction.objects.get()
    url = reverse("admin:finance_ledgertransaction_delete", args=[posted.pk])

    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    assert LedgerTransaction.objects.filter(pk=posted.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model_name", ["invoice", "invoiceline", "payment", "payout", "ownerexpense", "ledgertransaction", "ledgerentry"]
)
def test_money_rows_are_read_only_in_the_admin(superuser_client, lease, staff, owner, company, model_name):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    invoice = Invoice.objects.get()
    services.payment_record_manual(
        actor=staff, method="cash", amount=Decimal(100), reference="R", invoice_id=invoice.id
    )
    services.payout_create(actor=staff, company_id=company.id, owner_id=owner.id, amount=Decimal(50))
    services.owner_expense_create(
        actor=staff, company_id=company.id, owner_id=owner.id, amount=Decimal(1), description="x"
    )
    model = apps.get_model("finance", model_name)
    row = model.objects.first()
    before = model.objects.count()

    listed = superuser_client.get(reverse(f"admin:finance_{model_name}_changelist") + "?q=x")
    detail = superuser_client.get(reverse(f"admin:finance_{model_name}_change", args=[row.pk]))
    add = superuser_client.get(reverse(f"admin:finance_{model_name}_add"))
    change = superuser_client.post(reverse(f"admin:finance_{model_name}_change", args=[row.pk]), {})
    delete = superuser_client.post(reverse(f"admin:finance_{model_name}_delete", args=[row.pk]), {"post": "yes"})

    assert (listed.status_code, detail.status_code) == (200, 200)
    assert b'name="_save"' not in detail.content  # a view, not a form
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert model.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["INV-000001", "inv-1", "1"])
def test_invoices_are_shown_and_found_by_their_printed_number(superuser_client, lease, term):
    services.rent_invoices_issue(today=date(2026, 2, 5))  # January and February
    first, second = Invoice.objects.order_by("number")
    assert (first.display_number, second.display_number) == ("INV-000001", "INV-000002")

    page = superuser_client.get(reverse("admin:finance_invoice_changelist"), {"q": term}).content.decode()

    assert "INV-000001" in page
    assert "INV-000002" not in page


@pytest.mark.django_db
def test_ledger_entries_are_named_in_the_plural(superuser_client):
    index = superuser_client.get(reverse("admin:index")).content.decode()
    assert "Ledger entries" in index
    assert "Ledger entrys" not in index
