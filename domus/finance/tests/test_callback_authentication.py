"""No mode accepts an unauthenticated M-Pesa callback: a forged success changes nothing (it is
kept for review), the embedded default authenticates its simulator with a per-install token, and
a process with Daraja credentials but no callback guard does not start."""

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from domus.finance import selectors, services
from domus.finance.models import CallbackReview, Invoice, InvoiceStatus, LedgerTransaction, Payment, PaymentStatus
from domus.finance.tests.conftest import CALLBACK_URL, callback

REPO = Path(django_settings.BASE_DIR)


@pytest.fixture
def invoice(lease):
    services.rent_invoices_issue(today=date(2026, 1, 5))
    return Invoice.objects.get(lease=lease)


@pytest.fixture
def pending(client_for, tenant, invoice, daraja) -> Payment:
    response = client_for(tenant).post_json(
        "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": str(invoice.id)}
    )
    assert response.status_code == 201, response.content
    return Payment.objects.get(pk=response.json()["id"])


def _nothing_moved(payment: Payment, invoice: Invoice, company, owner) -> None:
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.mpesa_receipt is None
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.SENT, Decimal("0.00"))
    assert not LedgerTransaction.objects.filter(kind="payment").exists()
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("0.00")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [30000, 1], ids=["right-amount", "wrong-amount"])
@pytest.mark.parametrize("consumer_key", ["", "live-key"], ids=["simulator", "daraja"])
def test_without_a_token_or_allow_list_a_forged_success_changes_nothing(
    api_client, pending, invoice, company, owner, settings, amount, consumer_key
):
    settings.MPESA_CONSUMER_KEY = consumer_key
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = []

    response = api_client.post_json(CALLBACK_URL, callback(pending.checkout_request_id, amount=amount))
    anything = api_client.post_json(f"{CALLBACK_URL}guess/", callback(pending.checkout_request_id, amount=amount))

    assert (response.status_code, anything.status_code) == (200, 200)  # what Daraja expects; nothing more
    _nothing_moved(pending, invoice, company, owner)
    reviews = CallbackReview.objects.filter(reason="forbidden_source")
    assert reviews.count() == 2
    assert pending.checkout_request_id in reviews.first().raw_body


@pytest.mark.django_db
def test_a_forged_wrong_amount_no_longer_sabotages_the_real_payment(
    api_client, pending, invoice, company, owner, settings
):
    settings.MPESA_CALLBACK_TOKEN = "a-long-callback-secret"
    settings.MPESA_CALLBACK_ALLOWED_IPS = []

    api_client.post_json(CALLBACK_URL, callback(pending.checkout_request_id, amount=1))
    _nothing_moved(pending, invoice, company, owner)

    api_client.post_json(f"{CALLBACK_URL}a-long-callback-secret/", callback(pending.checkout_request_id))

    pending.refresh_from_db()
    invoice.refresh_from_db()
    assert pending.status == PaymentStatus.PAID
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("30000.00"))
    assert selectors.owner_balance(company_id=company.id, owner_id=owner.id) == Decimal("27000.00")


@pytest.mark.django_db
def test_an_authenticated_success_for_another_amount_is_not_paid_and_kept_for_review(
    api_client, pending, invoice, company, owner
):
    api_client.post_json(CALLBACK_URL, callback(pending.checkout_request_id, amount=29999))

    pending.refresh_from_db()
    invoice.refresh_from_db()
    assert pending.status != PaymentStatus.PAID
    assert pending.mpesa_receipt is None
    assert invoice.amount_paid == Decimal("0.00")
    assert not LedgerTransaction.objects.filter(kind="payment").exists()
    assert CallbackReview.objects.get().reason == "amount_mismatch"


def _embedded_env(**extra: str) -> dict[str, str]:
    """The environment of a process started without configuration (the embedded default)."""
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(DJANGO_SETTINGS_MODULE="domus.settings", SCHEDULE_IN_PROCESS="false", **extra)
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_embedded_default_authenticates_callbacks_with_its_own_token():
    code = (
        "from django.conf import settings; from domus.integrations import mpesa; "
        "print(settings.MPESA_CALLBACK_TOKEN); print(mpesa.daraja_callback_url())"
    )

    first = _python(code, _embedded_env())
    again = _python(code, _embedded_env())

    assert first.returncode == 0, first.stderr
    token, url = first.stdout.split()
    assert len(token) >= 40
    assert url.endswith(f"/mpesa/callback/{token}/")  # where the simulator delivers
    assert again.stdout == first.stdout  # kept, not drawn again
    stored = REPO / "var" / "secrets" / "mpesa-callback-token"
    assert stored.read_text().strip() == token
    assert stored.stat().st_mode & 0o777 == 0o600


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "a-production-secret-key-" + "x" * 40, "MPESA_CONSUMER_KEY": "live"}


@pytest.mark.parametrize("entry_point", ["domus.wsgi", "domus.asgi"])
def test_production_with_daraja_keys_and_no_callback_guard_refuses_to_start(entry_point):
    refused = _python(f"import {entry_point}", _embedded_env(**PRODUCTION))

    assert refused.returncode != 0
    assert "finance.E001" in refused.stderr
    assert "refuses to start" in refused.stderr


def test_production_with_daraja_keys_and_a_callback_token_starts():
    started = _python("import domus.wsgi; print('serving')", _embedded_env(**PRODUCTION, MPESA_CALLBACK_TOKEN="t" * 40))

    assert (started.returncode, started.stdout.strip()) == (0, "serving"), started.stderr


def test_the_release_step_runs_the_deploy_checks_and_stops_on_an_error():
    procfile = (REPO / "deploy" / "Procfile").read_text()
    release = next(line for line in procfile.splitlines() if line.startswith("release:"))
    check = "python manage.py check --deploy --fail-level ERROR"
    assert release.removeprefix("release:").strip().startswith(f"{check} && ")

    result = subprocess.run(
        [sys.executable, *check.split()[1:]],
        cwd=REPO,
        env=_embedded_env(**PRODUCTION, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "finance.E001" in result.stderr
