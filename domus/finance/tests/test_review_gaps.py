"""Gaps found in review: bad input answers 4xx, overdue for every invoice, expiry through the
service, retries, proofs, payment edits, notifications, statements and the simulator."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import respx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from httpx import Response
from PIL import Image

from domus.accounts.tests.factories import UserFactory
from domus.core.tests.images import png_bomb
from domus.finance import selectors, services, simulator
from domus.finance.models import Invoice, InvoiceStatus, LedgerTransaction, Payment, PaymentStatus
from domus.finance.tests.conftest import CALLBACK_URL, callback
from domus.integrations import mpesa
from domus.leasing import services as leasing_services
from domus.organizations.tests.factories import CompanyFactory
from domus.properties.tests.factories import ListingFactory

PDF = b"%PDF-1.4 a bank slip"


@pytest.fixture
def invoice(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    return Invoice.objects.get(lease=lease)


def _invoice_body(company, recipient, **extra):
    return {
        "company_id": str(company.id),
        "recipient_id": str(recipient.id),
        "issue_date": "2026-02-01",
        "due_date": "2026-02-15",
        "lines": [{"description": "Service charge", "unit_price": "1500.00"}],
        **extra,
    }


def _stk(client, invoice):
    return client.post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)}
    )


def _manual(client, invoice, amount="100"):
    response = client.post_json(
        "/api/v1/finance/payments/",
        {"method": "bank_transfer", "amount": amount, "reference": "FT-1", "invoice_id": str(invoice.id)},
    )
    assert response.status_code == 201, response.content
    return response.json()


# Invoices: bad input ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_line_that_overflows_the_amount_column_is_a_field_error(client_for, staff, company, tenant):
    body = _invoice_body(company, tenant, lines=[{"description": "Big", "quantity": "1000000", "unit_price": "1e11"}])

    response = client_for(staff).post_json("/api/v1/finance/invoices/", body)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "lines.0.unit_price" in response.json()["errors"]
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_an_invoice_total_that_overflows_is_a_field_error(client_for, staff, company, tenant):
    lines = [{"description": f"Line {i}", "unit_price": "999999999999.99"} for i in range(3)]

    response = client_for(staff).post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant, lines=lines))

    assert response.status_code == 400
    assert "lines" in response.json()["errors"]
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_invoice_listing_must_belong_to_the_company(client_for, staff, company, tenant, listing):
    from uuid import uuid4

    client = client_for(staff)
    other = ListingFactory(company=CompanyFactory())

    unknown = client.post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant, listing_id=str(uuid4())))
    foreign = client.post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant, listing_id=str(other.id)))
    ours = client.post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant, listing_id=str(listing.id)))

    assert unknown.status_code == foreign.status_code == 404
    assert "listing_id" in unknown.json()["errors"]
    assert "listing_id" in foreign.json()["errors"]
    assert ours.status_code == 201
    assert Invoice.objects.count() == 1


@pytest.mark.django_db
def test_owner_expense_listing_must_belong_to_the_company(client_for, staff, company, owner):
    other = ListingFactory(company=CompanyFactory())

    response = client_for(staff).post_json(
        f"/api/v1/finance/owners/{owner.id}/expenses/",
        {"company_id": str(company.id), "amount": "100", "description": "Paint", "listing_id": str(other.id)},
    )

    assert response.status_code == 404
    assert "listing_id" in response.json()["errors"]
    assert not LedgerTransaction.objects.filter(kind="expense").exists()


@pytest.mark.django_db
def test_patch_with_null_fields_changes_nothing(client_for, staff, company, tenant):
    client = client_for(staff)
    invoice_id = client.post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant, notes="keep")).json()[
        "id"
    ]

    response = client.patch_json(
        f"/api/v1/finance/invoices/{invoice_id}/",
        {"notes": None, "due_date": None, "lines": None, "recipient_id": None, "currency": None},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["notes"], body["due_date"], body["total"], body["recipient_id"]) == (
        "keep",
        "2026-02-15",
        "1500.00",
        str(tenant.id),
    )


# Invoice send: the tenant is notified in the app ----------------------------------------------------


@pytest.mark.django_db
def test_sending_an_invoice_notifies_the_tenant_in_the_app(
    client_for, staff, company, tenant, django_capture_on_commit_callbacks
):
    invoice_id = client_for(staff).post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant)).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(f"/api/v1/finance/invoices/{invoice_id}/send/")

    notifications = client_for(tenant).get("/api/v1/communications/notifications/").json()["results"]
    assert [(n["type"], n["title"]) for n in notifications] == [("invoice", "New invoice")]
    assert client_for(staff).get("/api/v1/communications/notifications/").json()["count"] == 0  # not the actor


# Overdue -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_any_issued_invoice_past_due_becomes_overdue_and_one_failure_does_not_stop_the_run(
    client_for, staff, company, tenant, invoice, monkeypatch
):
    client = client_for(staff)
    other_id = client.post_json("/api/v1/finance/invoices/", _invoice_body(company, tenant)).json()["id"]
    client.post(f"/api/v1/finance/invoices/{other_id}/send/")

    def broken(*args, **kwargs):
        raise RuntimeError("late-fee rule broke")

    monkeypatch.setattr(leasing_services, "late_fee_for", broken)

    assert services.late_fees_apply(today=date(2026, 3, 1)) == 1

    assert Invoice.objects.get(pk=other_id).status == InvoiceStatus.OVERDUE  # no lease: overdue, no fee
    assert Invoice.objects.get(pk=other_id).total == Decimal("1500.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT  # its failure was logged and rolled back
    monkeypatch.undo()
    assert services.late_fees_apply(today=date(2026, 3, 1)) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OVERDUE


@pytest.mark.django_db
def test_a_fixed_late_fee_is_added_once(invoice, lease):
    lease.late_fee_type = "fixed"
    lease.late_fee_value = Decimal("750")
    lease.save(update_fields=["late_fee_type", "late_fee_value"])

    assert services.late_fees_apply(today=date(2026, 1, 11)) == 1
    assert services.late_fees_apply(today=date(2026, 1, 12)) == 0

    invoice.refresh_from_db()
    assert (invoice.status, invoice.total) == (InvoiceStatus.OVERDUE, Decimal("30750.00"))
    assert LedgerTransaction.objects.get(kind="late_fee", reference_id=invoice.id).amount == Decimal("750.00")
    assert services.ledger_verify()["ok"]


# Expiry goes through the service -----------------------------------------------------------------------


@pytest.mark.django_db
def test_pending_payments_without_a_checkout_id_expire_with_audit_and_event(
    invoice, tenant, audit_log, django_capture_on_commit_callbacks, client_for, daraja
):
    payment = Payment.objects.create(
        company_id=invoice.company_id, invoice=invoice, payer=tenant, method="mpesa", amount=Decimal("10"), phone="1"
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.mpesa_pending_query() == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert audit_log.objects.filter(action="mpesa_expired", resource_id=str(payment.id)).count() == 1
    titles = [n["title"] for n in client_for(tenant).get("/api/v1/communications/notifications/").json()["results"]]
    assert titles == ["Payment failed"]
    assert daraja.query.call_count == 0


@pytest.mark.django_db
def test_the_query_job_goes_on_when_daraja_answers_nonsense_for_one_payment(client_for, tenant, invoice, daraja):
    client = client_for(tenant)
    client.post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id), "amount": "100"}
    )
    client.post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id), "amount": "200"}
    )
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    answers = iter(
        [
            Response(200, json={"ResponseCode": "0", "ResultCode": "zero", "ResultDesc": "?"}),
            Response(200, json={"ResponseCode": "0", "ResultCode": "1032", "ResultDesc": "Cancelled"}),
        ]
    )
    daraja.query.mock(side_effect=lambda request: next(answers))

    assert services.mpesa_pending_query() == 1

    assert sorted(Payment.objects.values_list("status", flat=True)) == ["cancelled", "pending"]


@pytest.mark.django_db
def test_stk_start_answers_503_when_oauth_answers_no_json(client_for, tenant, invoice, daraja):
    from django.core.cache import cache

    cache.delete(mpesa.TOKEN_CACHE_KEY)
    daraja.oauth.mock(return_value=Response(200, text="<html>maintenance</html>"))

    response = _stk(client_for(tenant), invoice)

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert Payment.objects.get().status == PaymentStatus.FAILED


# Retry --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_retry_is_refused_while_the_first_is_live(api_client, client_for, tenant, admin_user, invoice, daraja):
    payment_id = _stk(client_for(tenant), invoice).json()["id"]
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=1037))
    admin = client_for(admin_user)

    first = admin.post(f"/api/v1/finance/payments/{payment_id}/retry/")
    second = admin.post(f"/api/v1/finance/payments/{payment_id}/retry/")

    assert first.status_code == 201
    assert second.status_code == 409
    assert "retry" in second.json()["detail"]
    assert Payment.objects.filter(retry_of_id=payment_id).count() == 1
    assert daraja.push.call_count == 2


# Proofs -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("upload", "max_bytes"),
    [
        (SimpleUploadedFile("a.txt", b"hello", content_type="text/plain"), None),
        (SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>", content_type="application/pdf"), None),
        (SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"), 10),
    ],
    ids=["wrong-type", "spoofed-content", "too-large"],
)
def test_bad_proofs_are_a_400(client_for, staff, invoice, settings, tmp_path, upload, max_bytes):
    settings.MEDIA_ROOT = tmp_path
    if max_bytes:
        settings.FINANCE_PROOF_MAX_BYTES = max_bytes
    client = client_for(staff)
    payment_id = _manual(client, invoice)["id"]

    response = client.post(f"/api/v1/finance/payments/{payment_id}/proof/", {"file": upload})

    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not Payment.objects.get(pk=payment_id).proof


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (png_bomb(13_000, 13_000), "40,000,000 pixels"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 20, "not a readable image"),
    ],
    ids=["decompression-bomb", "png-magic-only"],
)
def test_an_image_proof_must_decode_within_the_pixel_budget(
    client_for, staff, invoice, settings, tmp_path, content, message
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(staff)
    payment_id = _manual(client, invoice)["id"]
    upload = SimpleUploadedFile("slip.png", content, content_type="image/png")

    response = client.post(f"/api/v1/finance/payments/{payment_id}/proof/", {"file": upload})

    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert "file" in response.json()["errors"]
    assert not Payment.objects.get(pk=payment_id).proof
    assert not any(tmp_path.rglob("*.png"))


@pytest.mark.django_db
def test_the_proof_is_served_only_to_those_who_see_the_payment(
    api_client, client_for, staff, tenant, invoice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(staff)
    payment_id = _manual(client, invoice)["id"]
    upload = SimpleUploadedFile("slip.png", _png(), content_type="image/png")
    proof_url = client.post(f"/api/v1/finance/payments/{payment_id}/proof/", {"file": upload}).json()["proof_url"]

    assert "/media/" not in proof_url
    assert client_for(tenant).get(proof_url).status_code == 200  # the payer
    assert client_for(UserFactory()).get(proof_url).status_code == 404
    assert api_client.get(proof_url).status_code == 401
    assert client_for(staff).get(f"/api/v1/finance/payments/{_manual(client, invoice)['id']}/proof/").status_code == 404


# Payment edits (the back office's /api/payments/{id}) ----------------------------------------------------


@pytest.mark.django_db
def test_admins_edit_descriptive_fields_only(client_for, staff, admin_user, invoice, audit_log):
    payment_id = _manual(client_for(staff), invoice)["id"]
    admin = client_for(admin_user)

    patched = admin.patch_json(f"/api/payments/{payment_id}/", {"reference": "FT-2", "notes": "Slip re-read"})
    put = admin.put_json(f"/api/v1/finance/payments/{payment_id}/", {"reference": "FT-3"})
    refused = admin.patch_json(f"/api/payments/{payment_id}/", {"amount": "1", "status": "refunded"})
    staff_try = client_for(staff).patch_json(f"/api/payments/{payment_id}/", {"reference": "X"})

    assert patched.status_code == 200, patched.content
    assert (patched.json()["reference"], patched.json()["notes"]) == ("FT-2", "Slip re-read")
    assert put.json()["reference"] == "FT-3"
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"amount", "status"}
    assert staff_try.status_code == 403
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.amount, payment.status, payment.reference) == (Decimal("100.00"), "paid", "FT-3")
    assert audit_log.objects.filter(resource_id=str(payment_id), action="update").count() == 2


@pytest.mark.django_db
def test_delete_cancels_only_what_moved_no_money(client_for, staff, tenant, invoice, daraja):
    client = client_for(staff)
    paid_id = _manual(client, invoice)["id"]
    pending_mpesa_id = _stk(client_for(tenant), invoice).json()["id"]
    pending_cash = Payment.objects.create(
        company_id=invoice.company_id, invoice=invoice, method="cash", amount=Decimal("5"), reference="R"
    )

    assert client.delete(f"/api/payments/{paid_id}/").status_code == 409
    assert client.delete(f"/api/payments/{pending_mpesa_id}/").status_code == 409
    assert client_for(tenant).delete(f"/api/payments/{pending_cash.id}/").status_code in (403, 404)
    assert client.delete(f"/api/payments/{pending_cash.id}/").status_code == 204
    assert client.delete(f"/api/payments/{pending_cash.id}/").status_code == 204

    statuses = dict(Payment.objects.values_list("id", "status"))
    assert statuses[pending_cash.id] == "cancelled"
    assert statuses[Payment.objects.get(pk=paid_id).id] == "paid"
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1


# Owner statement --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_statement_counts_every_movement(client_for, staff, owner, company, invoice, monkeypatch):
    client = client_for(staff)
    payment_id = _manual(client, invoice, amount="30000")["id"]
    payout_ok = client.post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "5000"}
    ).json()
    payout_failed = client.post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "4000"}
    ).json()
    client.post_json(f"/api/v1/finance/payouts/{payout_failed['id']}/status/", {"status": "failed"})
    client.post_json(
        f"/api/v1/finance/owners/{owner.id}/expenses/",
        {"company_id": str(company.id), "amount": "1500", "description": "Plumber"},
    )
    client.post_json(f"/api/v1/finance/payments/{payment_id}/refund/", {"reason": "Paid twice"})
    assert payout_ok["status"] == "pending"
    today = timezone.localdate()
    query = f"company_id={company.id}&start={today - timedelta(days=1)}&end={today}"

    statement = client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/statement/?{query}").json()

    totals = ("opening_balance", "rent_collected", "management_fees", "expenses", "refunds", "payouts")
    totals += ("payouts_returned", "adjustments", "closing_balance")
    money = {key: Decimal(statement[key]) for key in totals}
    assert money["rent_collected"] == Decimal("30000.00")
    assert money["management_fees"] == Decimal("3000.00")
    assert money["refunds"] == Decimal("27000.00")
    assert money["payouts"] == Decimal("9000.00")
    assert money["payouts_returned"] == Decimal("4000.00")
    assert money["expenses"] == Decimal("1500.00")
    movements = (
        money["rent_collected"]
        - money["management_fees"]
        - money["expenses"]
        - money["refunds"]
        - money["payouts"]
        + money["payouts_returned"]
        + money["adjustments"]
    )
    assert money["opening_balance"] + movements == money["closing_balance"] == Decimal("-6500.00")
    assert money["closing_balance"] == selectors.owner_balance(company_id=company.id, owner_id=owner.id)

    seen = {}
    real = __import__("domus.finance.services.statements", fromlist=["render_pdf"]).render_pdf

    def capture(**kwargs):
        seen.update(dict(kwargs["fields"]))
        return real(**kwargs)

    monkeypatch.setattr("domus.finance.services.statements.render_pdf", capture)
    assert client_for(owner).get(f"/api/v1/finance/owners/{owner.id}/statement/pdf/?{query}").status_code == 200
    assert (seen["Expenses"], seen["Refunds"], seen["Failed payouts returned"]) == (
        "KES 1,500.00",
        "KES 27,000.00",
        "KES 4,000.00",
    )


# Simulator ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_simulator_only_calls_our_own_callback_route(client, settings):
    settings.MPESA_CONSUMER_KEY = ""
    settings.MPESA_CALLBACK_TOKEN = "tok"
    settings.MPESA_CALLBACK_URL = "http://domus.internal.test/api/v1/finance/payments/mpesa/callback/"
    settings.MPESA_SIMULATOR_CALLBACK_DELAY = 3600
    with respx.mock(assert_all_called=False) as router:
        ours = router.post("http://domus.internal.test/api/v1/finance/payments/mpesa/callback/tok/").mock(
            return_value=Response(200, json={"ResultCode": 0})
        )
        evil = router.post(host="evil.example.test").mock(return_value=Response(200))

        response = client.post(
            "/api/v1/finance/mpesa-simulator/mpesa/stkpush/v1/processrequest/",
            data={"PhoneNumber": "254712345678", "Amount": 10, "CallBackURL": "http://evil.example.test/steal"},
            content_type="application/json",
            headers={"Authorization": "Bearer SIMabc"},
        )
        simulator.flush()

    assert response.status_code == 200
    assert ours.call_count == 1
    assert evil.call_count == 0
