import base64
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.finance import selectors, services
from domus.finance.models import (
    CallbackReview,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentStatus,
)
from domus.finance.tests.conftest import CALLBACK_URL, callback
from domus.integrations.mpesa import TOKEN_CACHE_KEY


@pytest.fixture
def invoice(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    return Invoice.objects.get(lease=lease)


def _stk(client, invoice, phone="0712 345 678", **extra):
    return client.post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": phone, "invoice_id": str(invoice.id), **extra}
    )


@pytest.mark.django_db
def test_stk_push_sends_what_daraja_expects(client_for, tenant, invoice, daraja):
    cache.delete(TOKEN_CACHE_KEY)

    response = _stk(client_for(tenant), invoice)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["checkout_request_id"], body["merchant_request_id"]) == ("pending", None, "M-1")
    assert Payment.objects.get(pk=body["id"]).checkout_request_id == "ws_CO_1"  # kept, shown to staff only
    sent = daraja.last_push()
    stamp = sent["Timestamp"]
    assert len(stamp) == 14
    assert stamp.isdigit()
    assert base64.b64decode(sent["Password"]).decode() == f"174379passkey{stamp}"
    assert (sent["PartyA"], sent["PhoneNumber"], sent["PartyB"]) == ("254712345678", "254712345678", "174379")
    assert sent["Amount"] == 30000
    assert sent["TransactionType"] == "CustomerPayBillOnline"
    assert sent["AccountReference"] == "INV-000001"
    assert sent["CallBackURL"].endswith("/mpesa/callback/")
    assert daraja.push.calls.last.request.headers["Authorization"] == "Bearer TOKEN"


@pytest.mark.django_db
def test_the_token_is_cached_until_expiry(client_for, tenant, invoice, daraja):
    cache.delete(TOKEN_CACHE_KEY)
    client = client_for(tenant)

    _stk(client, invoice, amount="100")
    _stk(client, invoice, amount="200")

    assert daraja.oauth.call_count == 1
    assert daraja.push.call_count == 2
    assert daraja.oauth.calls.last.request.headers["Authorization"].startswith("Basic ")


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["+254 712 345 678", "254112345678", "0112345678", "712345678"])
def test_phone_numbers_are_normalised(client_for, tenant, invoice, daraja, phone):
    assert _stk(client_for(tenant), invoice, phone=phone).status_code == 201
    assert daraja.last_push()["PhoneNumber"] in ("254712345678", "254112345678")


@pytest.mark.django_db
def test_a_bad_phone_is_a_400_and_nothing_is_created(client_for, tenant, invoice, daraja):
    response = _stk(client_for(tenant), invoice, phone="0812345678")

    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    assert not Payment.objects.exists()
    assert daraja.push.call_count == 0


@pytest.mark.django_db
def test_strangers_cannot_pay_someone_elses_invoice(client_for, invoice, daraja):
    response = _stk(client_for(UserFactory()), invoice)

    assert response.status_code == 404
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_the_idempotency_key_replays_the_first_answer(client_for, tenant, invoice, daraja):
    client = client_for(tenant)
    body = {"phone": "0712345678", "invoice_id": str(invoice.id)}

    first = client.post_json("/api/v1/finance/payments/mpesa/stk/", body, headers={"Idempotency-Key": "k1"})
    second = client.post_json("/api/v1/finance/payments/mpesa/stk/", body, headers={"Idempotency-Key": "k1"})

    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert daraja.push.call_count == 1


@pytest.mark.django_db
def test_daraja_down_is_a_503_and_the_payment_is_failed(client_for, tenant, invoice, daraja):
    from httpx import ConnectError

    daraja.push.mock(side_effect=ConnectError("down"))

    response = _stk(client_for(tenant), invoice)

    assert response.status_code == 503
    assert Payment.objects.get().status == PaymentStatus.FAILED


@pytest.mark.django_db
def test_the_original_listing_route_starts_a_booking_fee(client_for, tenant, listing, daraja):
    response = client_for(tenant).post_json(
        f"/api/v1/properties/payments/mpesa/stk/{listing.id}/",
        {"phone": "0712345678", "purpose": "booking_fee", "amount": "2500"},
    )

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    assert (payment.listing_id, payment.purpose, payment.amount) == (listing.id, "booking_fee", Decimal("2500.00"))


@pytest.mark.django_db
def test_a_successful_callback_pays_the_invoice_and_posts_once(
    api_client, client_for, tenant, owner, invoice, daraja, audit_log
):
    _stk(client_for(tenant), invoice)

    response = api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))
    again = api_client.post_json("/api/v1/properties/payments/mpesa/callback/", callback("ws_CO_1"))

    assert response.status_code == again.status_code == 200
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payment = Payment.objects.get()
    assert (payment.status, payment.mpesa_receipt, payment.result_code) == ("paid", "QKJ1ABC2DE", 0)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert selectors.owner_balance(company_id=invoice.company_id, owner_id=owner.id) == Decimal("27000.00")
    assert services.ledger_verify()["ok"]
    assert audit_log.objects.filter(action="mpesa_paid", resource_id=str(payment.id)).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1032, "cancelled"),
        (1037, "timed_out"),
        (1019, "timed_out"),
        (1, "insufficient_funds"),
        (2001, "wrong_pin"),
        (17, "failed"),
    ],
)
def test_result_codes_map_to_clear_states(api_client, client_for, tenant, invoice, daraja, code, status):
    _stk(client_for(tenant), invoice)

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=code, desc="Provider says no"))

    payment = Payment.objects.get()
    assert (payment.status, payment.result_code, payment.result_desc) == (status, code, "Provider says no")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


@pytest.mark.django_db
def test_a_late_success_after_a_failure_is_held_for_review_not_dropped(api_client, client_for, tenant, invoice, daraja):
    _stk(client_for(tenant), invoice)
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=1032))

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))  # Daraja repeats itself

    payment = Payment.objects.get()
    assert payment.status == "cancelled"
    assert not LedgerTransaction.objects.filter(kind="payment").exists()
    review = CallbackReview.objects.get()
    assert (review.reason, review.payment_id) == ("late_success", payment.id)
    assert "QKJ1ABC2DE" in review.raw_body


@pytest.mark.django_db
def test_unknown_checkout_ids_are_recorded_for_review(api_client):
    response = api_client.post_json(CALLBACK_URL, callback("ws_CO_nobody"))

    assert response.status_code == 200
    review = CallbackReview.objects.get()
    assert (review.reason, review.checkout_request_id) == ("unknown_checkout", "ws_CO_nobody")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["not json", "{}", '{"Body": {"stkCallback": {"ResultCode": "x"}}}', "[1, 2]"])
def test_malformed_callbacks_are_recorded_and_answered(api_client, body):
    response = api_client.post(CALLBACK_URL, data=body, content_type="application/json")

    assert response.status_code == 200
    assert CallbackReview.objects.get().reason == "malformed"


@pytest.mark.django_db
def test_an_amount_mismatch_is_never_paid(api_client, client_for, tenant, invoice, daraja):
    _stk(client_for(tenant), invoice)

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", amount=1))

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    assert CallbackReview.objects.get().reason == "amount_mismatch"
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0


@pytest.mark.django_db
def test_the_callback_token_and_ip_allow_list(api_client, client_for, tenant, invoice, daraja, settings):
    _stk(client_for(tenant), invoice)
    settings.MPESA_CALLBACK_TOKEN = "s3cret"

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))
    assert Payment.objects.get().status == "pending"
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["196.201.214.200"]
    api_client.post_json(f"{CALLBACK_URL}s3cret/", callback("ws_CO_1"))
    assert Payment.objects.get().status == "pending"

    api_client.post_json(f"{CALLBACK_URL}s3cret/", callback("ws_CO_1"), REMOTE_ADDR="196.201.214.200")
    assert Payment.objects.get().status == "paid"
    assert CallbackReview.objects.filter(reason="forbidden_source").count() == 2


@pytest.mark.django_db
def test_the_pending_query_job_settles_a_lost_callback(client_for, tenant, invoice, daraja):
    _stk(client_for(tenant), invoice)
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert services.mpesa_pending_query() == 0  # still being processed
    daraja.query_answer = {
        "ResponseCode": "0",
        "ResultCode": "0",
        "ResultDesc": "The service request is processed successfully.",
    }

    assert services.mpesa_pending_query() == 1

    assert Payment.objects.get().status == "paid"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_status_list_and_admin_list(api_client, client_for, tenant, staff, admin_user, invoice, daraja):
    payment_id = _stk(client_for(tenant), invoice).json()["id"]

    status = client_for(tenant).get(f"/api/v1/properties/payments/status/{payment_id}/")
    assert status.json()["status"] == "pending"
    assert client_for(tenant).get("/api/v1/properties/payments/").json()["count"] == 1
    assert client_for(staff).get("/api/payments/").json()["count"] == 1
    assert client_for(staff).get(f"/api/payments/{payment_id}/").json()["checkout_request_id"] == "ws_CO_1"
    assert client_for(tenant).get(f"/api/payments/{payment_id}/").json()["checkout_request_id"] is None
    assert client_for(UserFactory()).get("/api/v1/properties/payments/").json()["count"] == 0
    assert client_for(UserFactory()).get(f"/api/payments/{payment_id}/").status_code == 404
    assert client_for(tenant).get("/api/v1/properties/payments/admin-list/").status_code == 403
    listed = client_for(admin_user).get("/api/v1/properties/payments/admin-list/?search=254712345678&status=pending")
    assert listed.json()["count"] == 1


@pytest.mark.django_db
def test_payment_list_query_count_is_flat(client_for, tenant, invoice, daraja, django_assert_num_queries):
    client = client_for(tenant)
    for amount in ("100", "200", "300"):
        _stk(client, invoice, amount=amount)

    # 3: auth (with the caller's companies: the scope, and whether the caller is staff, who
    # alone see checkout ids), count, page: flat in the number of payments.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/finance/payments/")

    assert response.json()["count"] == 3


@pytest.mark.django_db
def test_admins_retry_a_failed_payment_keeping_history(api_client, client_for, tenant, admin_user, invoice, daraja):
    payment_id = _stk(client_for(tenant), invoice).json()["id"]
    assert client_for(admin_user).post(f"/api/v1/properties/payments/{payment_id}/retry/").status_code == 409
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", code=1037))
    assert client_for(tenant).post(f"/api/v1/finance/payments/{payment_id}/retry/").status_code == 403

    response = client_for(admin_user).post(f"/api/v1/properties/payments/{payment_id}/retry/")

    assert response.status_code == 201
    retry = Payment.objects.get(pk=response.json()["id"])
    assert (retry.retry_of_id, retry.status, retry.checkout_request_id) == (
        Payment.objects.get(pk=payment_id).id,
        "pending",
        "ws_CO_2",
    )
    assert Payment.objects.get(pk=payment_id).status == "timed_out"


@pytest.mark.django_db
def test_manual_payments_partial_then_overpayment_credit(client_for, staff, tenant, owner, invoice):
    client = client_for(staff)

    partial = client.post_json(
        "/api/v1/finance/payments/",
        {"method": "bank_transfer", "amount": "10000", "reference": "FT123", "invoice_id": str(invoice.id)},
    )
    invoice.refresh_from_db()
    assert partial.status_code == 201, partial.content
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, Decimal("10000.00"))

    over = client.post_json(
        "/api/v1/finance/payments/",
        {"method": "cash", "amount": "25000", "reference": "RCPT-9", "invoice_id": str(invoice.id)},
    ).json()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    assert (over["amount_applied"], over["amount_credited"]) == ("20000.00", "5000.00")
    credit = LedgerEntry.objects.filter(account__code="tenant_credit").values_list("credit", flat=True)
    assert list(credit) == [Decimal("5000.00")]
    assert selectors.owner_balance(company_id=invoice.company_id, owner_id=owner.id) == Decimal("27000.00")
    assert services.ledger_verify()["ok"]


@pytest.mark.django_db
def test_tenants_cannot_record_manual_payments(client_for, tenant, invoice):
    response = client_for(tenant).post_json(
        "/api/v1/finance/payments/", {"method": "cash", "amount": "10", "reference": "x", "invoice_id": str(invoice.id)}
    )

    assert response.status_code == 403
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_staff_upload_a_proof(client_for, staff, invoice, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = client_for(staff)
    payment_id = client.post_json(
        "/api/v1/finance/payments/",
        {"method": "cheque", "amount": "100", "reference": "CHQ-1", "invoice_id": str(invoice.id)},
    ).json()["id"]

    response = client.post(
        f"/api/v1/finance/payments/{payment_id}/proof/",
        {"file": SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip", content_type="application/pdf")},
    )

    assert response.status_code == 200, response.content
    proof_url = response.json()["proof_url"]
    assert proof_url == f"/api/v1/finance/payments/{payment_id}/proof/"
    download = client.get(proof_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 slip"


@pytest.mark.django_db
def test_review_list_is_admin_only(api_client, client_for, tenant, admin_user):
    api_client.post(CALLBACK_URL, data="garbage", content_type="application/json")

    assert client_for(tenant).get("/api/v1/finance/payments/reviews/").status_code == 403
    assert client_for(admin_user).get("/api/v1/finance/payments/reviews/").json()["count"] == 1


def test_normalise_phone_refuses_landlines():
    from domus.integrations.mpesa import InvalidPhone, normalise_phone

    with pytest.raises(InvalidPhone):
        normalise_phone("020 123 4567")
    assert json.dumps(normalise_phone("0722000000")) == '"254722000000"'
