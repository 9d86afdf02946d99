"""End to end through HTTP: a tenant's request with photos and answers triaged to an
emergency by its answers, a vendor who accepts, parts reserved and issued from stock, the
work done, billed to the owner (a ledger entry and a line on the owner's statement), closed
and rated; closing again after a reopen never bills twice."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from domus.inventory.services import stock
from domus.inventory.tests.factories import SparePartFactory
from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance import services
from domus.maintenance.models import WorkOrder, WorkOrderCharge
from domus.maintenance.tests.helpers import booking_body, png_bytes, tenant_body

AuditLog = apps.get_model("audit", "AuditLog")
OwnerExpense = apps.get_model("finance", "OwnerExpense")
LedgerTransaction = apps.get_model("finance", "LedgerTransaction")
Invoice = apps.get_model("finance", "Invoice")
Notification = apps.get_model("communications", "Notification")
Stock = apps.get_model("inventory", "Stock")


def _receive(actor, part, branch, quantity, unit_cost) -> None:
    entry = stock.entry_create(
        actor=actor,
        kind="receipt",
        branch_id=branch.id,
        lines=[{"part_id": part.id, "quantity": Decimal(quantity), "unit_cost": Decimal(unit_cost)}],
    )
    stock.entry_post(actor=actor, entry_id=entry.pk)


def _move(client, bid, status):
    answer = client.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": status})
    assert answer.status_code == 200, answer.json()
    return answer


@pytest.mark.django_db
def test_tenant_request_to_owner_bill_closed_and_rated(
    client_for,
    admin_user,
    company,
    branch,
    staff,
    vendor,
    vendor_user,
    leak,
    electrics_question,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.MAINTENANCE_MARKUP_PERCENT = {"labour": Decimal(0), "parts": Decimal(10), "vendor": Decimal(0)}
    vendor.hourly_rate = Decimal("1500.00")
    vendor.save()
    part = SparePartFactory()
    _receive(admin_user, part, branch, 4, "200.00")
    lease = LeaseFactory(status="active", listing__company=company)
    owner = lease.listing.owner
    tenant = client_for(lease.tenant)
    desk, portal = client_for(staff), client_for(vendor_user)

    with django_capture_on_commit_callbacks(execute=True):
        body = tenant_body(issue=str(leak.id), answers=[{"question_id": str(electrics_question.id), "value": "yes"}])
        made = tenant.post_json("/api/v1/maintenance/bookings/", body)
    assert made.status_code == 201, made.json()
    booking = made.json()
    bid = booking["id"]
    assert booking["priority"] == "emergency"  # triaged to an emergency by its answers
    assert Notification.objects.filter(recipient=staff, event="work_order.requested").exists()

    photo = SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")
    added = tenant.post(f"/api/v1/maintenance/bookings/{bid}/photos/", {"file": photo})
    assert added.status_code == 201, added.json()
    assert (added.json()["width"], added.json()["content_type"]) == (8, "image/png")
    assert len(desk.get(f"/api/v1/maintenance/bookings/{bid}/photos/").json()) == 1

    desk.patch_json(f"/api/bookings/{bid}", {"status": "triaged", "branch_id": str(branch.id)})
    desk.post_json(f"/api/v1/maintenance/bookings/{bid}/parts/", {"part_id": str(part.id), "quantity": "3"})
    offered = desk.post_json(f"/api/v1/maintenance/bookings/{bid}/vendor/", {"vendor_id": str(vendor.id)})
    assert offered.json()["vendor_status"] == "pending"
    assert portal.post_json(f"/api/v1/maintenance/bookings/{bid}/vendor-answer/", {"accept": True}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _move(desk, bid, "scheduled")
    assert Notification.objects.filter(recipient=lease.tenant, event="work_order.status_changed").exists()
    assert Notification.objects.filter(recipient=vendor_user, event="work_order.status_changed").exists()
    row = Stock.objects.get(part=part, branch=branch)
    assert (row.on_hand, row.reserved) == (4, 3)

    _move(portal, bid, "in_progress")
    line = portal.get(f"/api/v1/maintenance/bookings/{bid}/parts/").json()[0]
    issued = portal.post_json(f"/api/v1/maintenance/bookings/{bid}/parts/{line['id']}/issue/", {"quantity": "2"})
    assert issued.status_code == 200, issued.json()
    _move(portal, bid, "work_done")
    row.refresh_from_db()
    assert (row.on_hand, row.reserved) == (2, 0)

    costed = desk.patch_json(
        f"/api/v1/maintenance/bookings/{bid}/costing/",
        {"labour_hours": "2", "vendor_invoice_amount": "1000.00", "vendor_invoice_reference": "PL-77"},
    )
    assert costed.status_code == 200, costed.json()
    assert costed.json()["bills"] == "owner"  # wear and tear: the owner pays
    assert costed.json()["expected"] == {"labour": "3000.00", "parts": "440.00", "vendor": "1000.00"}
    _move(desk, bid, "ready_to_bill")
    closed = _move(desk, bid, "closed")
    assert closed.json()["status"] == "closed"

    charge = WorkOrderCharge.objects.get(work_order_id=bid)
    assert (charge.payer, charge.total, charge.payer_user_id) == ("owner", Decimal("4440.00"), owner.id)
    expense = OwnerExpense.objects.get(pk=charge.owner_expense_id)
    assert (expense.owner_id, expense.amount) == (owner.id, Decimal("4440.00"))
    assert LedgerTransaction.objects.filter(kind="expense", reference_id=expense.pk).count() == 1
    statement = client_for(staff).get(
        f"/api/v1/finance/owners/{owner.id}/statement/",
        {"company_id": str(company.id), "start": "2026-01-01", "end": "2030-12-31"},
    )
    assert statement.status_code == 200, statement.json()
    assert statement.json()["expenses"] == "4440.00"
    assert [line["kind"] for line in statement.json()["lines"]] == ["expense"]
    assert desk.get(f"/api/v1/maintenance/bookings/{bid}/costing/").json()["charge"]["total"] == "4440.00"
    assert client_for(owner).get(f"/api/v1/maintenance/bookings/{bid}/costing/").status_code == 200
    assert tenant.get(f"/api/v1/maintenance/bookings/{bid}/costing/").status_code == 403

    rated = tenant.post_json(f"/api/v1/maintenance/bookings/{bid}/rating/", {"rating": 5, "comment": "Fast"})
    assert rated.status_code == 200

    # Reopened and closed again: never billed twice.
    _move(desk, bid, "triaged")
    assert desk.patch_json(f"/api/v1/maintenance/bookings/{bid}/costing/", {"labour_hours": "9"}).status_code == 409
    WorkOrder.objects.filter(pk=bid).update(status="ready_to_bill")
    _move(desk, bid, "closed")
    assert WorkOrderCharge.objects.filter(work_order_id=bid).count() == 1
    assert OwnerExpense.objects.filter(owner=owner).count() == 1
    assert services._bill(actor=staff, work_order=WorkOrder.objects.get(pk=bid)) is None  # billed already
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a second bill
        WorkOrderCharge.objects.create(
            work_order_id=bid,
            company=company,
            payer="company",
            currency="KES",
            labour=0,
            parts=0,
            vendor=0,
            total=0,
            created_at=charge.created_at,
        )
    assert AuditLog.objects.filter(action="bill", resource_id=str(bid)).count() == 1


@pytest.mark.django_db
def test_tenant_damage_is_a_chargeback_invoice_and_a_public_job_the_companys(
    api_client, client_for, company, staff, settings
):

    settings.MAINTENANCE_LABOUR_RATE = Decimal("1000")
    settings.MAINTENANCE_MARKUP_PERCENT = {"labour": Decimal(20), "parts": Decimal(0), "vendor": Decimal(0)}
    lease = LeaseFactory(status="active", listing__company=company)
    desk = client_for(staff)
    bid = client_for(lease.tenant).post_json("/api/bookings", tenant_body()).json()["id"]
    costing = desk.patch_json(
        f"/api/v1/maintenance/bookings/{bid}/costing/", {"cause": "tenant_damage", "labour_hours": "1.5"}
    )
    assert costing.json()["bills"] == "tenant"
    WorkOrder.objects.filter(pk=bid).update(status="ready_to_bill")
    assert desk.post_json(f"/api/v1/maintenance/bookings/{bid}/move/", {"status": "closed"}).status_code == 200
    charge = WorkOrderCharge.objects.get(pk=bid)
    invoice = Invoice.objects.get(pk=charge.invoice_id)
    assert (invoice.recipient_id, invoice.total, invoice.status) == (lease.tenant_id, Decimal("1800.00"), "sent")
    assert [line.description.rsplit(" - ", 1)[1] for line in invoice.lines.all()] == ["labour"]

    public = api_client.post_json("/api/bookings", booking_body()).json()["id"]
    desk.patch_json(f"/api/v1/maintenance/bookings/{public}/costing/", {"labour_hours": "1"})
    WorkOrder.objects.filter(pk=public).update(status="ready_to_bill")
    desk.post_json(f"/api/v1/maintenance/bookings/{public}/move/", {"status": "closed"})
    charge = WorkOrderCharge.objects.get(pk=public)
    assert (charge.payer, charge.total, charge.invoice_id, charge.owner_expense_id) == (
        "company",
        Decimal("1200.00"),
        None,
        None,
    )
