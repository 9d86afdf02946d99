"""Money is never lost, double-counted or left unexplained: void invoices, late, malformed and
forged callbacks, and what M-Pesa actually received."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from domus.finance import services
from domus.finance.checks import mpesa_callback_is_protected
from domus.finance.models import CallbackReview, Invoice, InvoiceStatus, LedgerTransaction, Payment, PaymentStatus
from domus.finance.tests.conftest import CALLBACK_URL, callback


@pytest.fixture
def invoice(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    return Invoice.objects.get(lease=lease)


def _stk(client, invoice, **extra):
    response = client.post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id), **extra}
    )
    assert response.status_code == 201, response.content
    return response.json()


def _success_without(name: str) -> dict:
    body = callback("ws_CO_1")
    items = body["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"] = [item for item in items if item["Name"] != name]
    return body


# 1a: void invoices ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invoice_with_a_pending_mpesa_payment_cannot_be_voided(client_for, staff, tenant, invoice, daraja):
    _stk(client_for(tenant), invoice)

    response = client_for(staff).post_json(f"/api/v1/finance/invoices/{invoice.id}/void/", {"reason": "typo"})

    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT_ERROR"
    assert "pending" in response.json()["detail"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT
    assert not LedgerTransaction.objects.filter(kind="invoice_void").exists()


@pytest.mark.django_db
def test_money_for_a_void_invoice_is_held_as_credit_and_reviewed(api_client, client_for, tenant, invoice, daraja):
    payment_id = _stk(client_for(tenant), invoice)["id"]
    # The invoice was voided while the push was in flight (the race the void check cannot see).
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.VOID)

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.VOID, Decimal("0.00"))
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == PaymentStatus.PAID
    assert (payment.amount_applied, payment.amount_credited) == (Decimal("0.00"), Decimal("30000.00"))
    review = CallbackReview.objects.get()
    assert (review.reason, review.payment_id) == ("invoice_not_open", payment.id)
    posted = LedgerTransaction.objects.get(kind="payment")
    assert {(e.account.code, e.debit, e.credit) for e in posted.entries.all()} == {
        ("mpesa_clearing", Decimal("30000.00"), Decimal("0.00")),
        ("tenant_credit", Decimal("0.00"), Decimal("30000.00")),
    }
    assert services.ledger_verify()["ok"]


# 1b: late success ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_success_after_the_payment_expired_is_held_for_review(api_client, client_for, tenant, invoice, daraja):
    _stk(client_for(tenant), invoice)
    Payment.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert services.mpesa_pending_query() == 1  # still "being processed" after an hour: expired
    assert Payment.objects.get().status == PaymentStatus.EXPIRED

    response = api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))

    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    review = CallbackReview.objects.get()
    assert (review.reason, review.payment_id) == ("late_success", Payment.objects.get().id)
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


# 1c: malformed successes ----------------------------------------------------------------------


def _no_metadata() -> dict:
    body = callback("ws_CO_1")
    del body["Body"]["stkCallback"]["CallbackMetadata"]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [_no_metadata(), _success_without("Amount"), _success_without("MpesaReceiptNumber")],
    ids=["no-metadata", "no-amount", "no-receipt"],
)
def test_a_success_missing_its_metadata_is_malformed_never_paid(api_client, client_for, tenant, invoice, daraja, body):
    _stk(client_for(tenant), invoice)

    assert api_client.post_json(CALLBACK_URL, body).status_code == 200

    assert Payment.objects.get().status == PaymentStatus.PENDING
    review = CallbackReview.objects.get()
    assert (review.reason, review.checkout_request_id) == ("malformed", "ws_CO_1")
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0


# 2: bad callback input is a review, never a 500 ---------------------------------------------------

BAD_CALLBACKS = {
    "metadata-list": '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"CallbackMetadata":[1]}}}',
    "metadata-string": '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"CallbackMetadata":"x"}}}',
    "result-code-1e400": '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":1e400}}}',
    "result-code-huge": '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":99999999999999999999}}}',
    "result-code-float": '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0.5}}}',
    "body-not-object": '{"Body":[1]}',
    "checkout-not-string": '{"Body":{"stkCallback":{"CheckoutRequestID":{"a":1},"ResultCode":0}}}',
}


def _with_amount(value: str) -> str:
    """A success whose Amount is the raw JSON token ``value`` (NaN and Infinity are not strict JSON)."""
    items = '[{"Name":"Amount","Value":AMOUNT},{"Name":"MpesaReceiptNumber","Value":"QKJ1ABC2DE"}]'
    body = '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"CallbackMetadata":{"Item":ITEMS}}}}'
    return body.replace("ITEMS", items).replace("AMOUNT", value)


BAD_CALLBACKS |= {
    "amount-nan": _with_amount("NaN"),
    "amount-infinity": _with_amount("Infinity"),
    "amount-negative": _with_amount("-5"),
    "amount-string": _with_amount('"lots"'),
    "receipt-too-long": json.dumps(callback("ws_CO_1", receipt="Q" * 31)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("raw", BAD_CALLBACKS.values(), ids=BAD_CALLBACKS.keys())
def test_bad_callback_input_is_recorded_for_review(api_client, client_for, tenant, invoice, daraja, raw):
    _stk(client_for(tenant), invoice)

    response = api_client.post(CALLBACK_URL, data=raw, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert CallbackReview.objects.get().reason == "malformed"
    assert Payment.objects.get().status == PaymentStatus.PENDING
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


# 1d: what M-Pesa reported ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_callback_keeps_transaction_date_phone_and_amount_received(api_client, client_for, tenant, invoice, daraja):
    payment_id = _stk(client_for(tenant), invoice)["id"]

    api_client.post_json(CALLBACK_URL, callback("ws_CO_1"))  # TransactionDate 20260105101010

    payment = Payment.objects.get(pk=payment_id)
    assert payment.paid_at == datetime(2026, 1, 5, 7, 10, 10, tzinfo=UTC)  # 10:10:10 in Nairobi (UTC+3)
    assert payment.mpesa_phone == "254712345678"
    assert payment.amount_received == Decimal("30000.00")
    detail = client_for(tenant).get(f"/api/v1/finance/payments/{payment_id}/").json()
    assert (detail["amount_received"], detail["mpesa_phone"]) == ("30000.00", "254712345678")


@pytest.mark.django_db
def test_a_cents_amount_is_pushed_rounded_up_and_the_excess_is_credit(
    api_client, client_for, staff, tenant, listing, company, daraja
):
    staff_client = client_for(staff)
    invoice_id = staff_client.post_json(
        "/api/v1/finance/invoices/",
        {
            "company_id": str(company.id),
            "recipient_id": str(tenant.id),
            "due_date": "2026-02-01",
            "issue_date": "2026-01-01",
            "lines": [{"description": "Water", "unit_price": "1000.40"}],
        },
    ).json()["id"]
    staff_client.post(f"/api/v1/finance/invoices/{invoice_id}/send/")
    invoice = Invoice.objects.get(pk=invoice_id)

    payment = _stk(client_for(tenant), invoice)
    assert daraja.last_push()["Amount"] == 1001
    assert payment["amount"] == "1001.00"
    api_client.post_json(CALLBACK_URL, callback("ws_CO_1", amount=1001))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("1000.40"))
    paid = Payment.objects.get()
    assert (paid.amount_received, paid.amount_applied, paid.amount_credited) == (
        Decimal("1001.00"),
        Decimal("1000.40"),
        Decimal("0.60"),
    )
    assert services.ledger_verify()["ok"]


# 1e: forged callbacks ------------------------------------------------------------------------


@pytest.mark.django_db
def test_real_credentials_without_a_callback_guard_fail_the_system_check(settings):
    settings.MPESA_CONSUMER_KEY = "live-key"
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = []

    assert [error.id for error in mpesa_callback_is_protected()] == ["finance.E001"]
    with pytest.raises(SystemCheckError, match=r"finance\.E001"):
        call_command("check")

    settings.MPESA_CALLBACK_TOKEN = "a-long-secret"
    assert mpesa_callback_is_protected() == []
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["196.201.214.200"]
    assert mpesa_callback_is_protected() == []
    settings.MPESA_CONSUMER_KEY = ""  # the simulator needs no guard
    settings.MPESA_CALLBACK_ALLOWED_IPS = []
    assert mpesa_callback_is_protected() == []


@pytest.mark.django_db
def test_the_token_is_sent_to_daraja_so_real_callbacks_are_accepted(
    api_client, client_for, tenant, invoice, daraja, settings
):
    settings.MPESA_CALLBACK_TOKEN = "s3cret"

    _stk(client_for(tenant), invoice)
    sent = daraja.last_push()["CallBackURL"]

    assert sent == "https://domus.example.test/api/v1/finance/payments/mpesa/callback/s3cret/"
    api_client.post_json(sent.removeprefix("https://domus.example.test"), callback("ws_CO_1"))
    assert Payment.objects.get().status == PaymentStatus.PAID
    assert not CallbackReview.objects.exists()


@pytest.mark.django_db
def test_a_wrong_token_is_held_as_forbidden(api_client, client_for, tenant, invoice, daraja, settings):
    settings.MPESA_CALLBACK_TOKEN = "s3cret"
    _stk(client_for(tenant), invoice)

    api_client.post_json(f"{CALLBACK_URL}s3creT/", callback("ws_CO_1"))

    assert Payment.objects.get().status == PaymentStatus.PENDING
    assert CallbackReview.objects.get().reason == "forbidden_source"
