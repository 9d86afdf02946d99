"""The whole rent flow through HTTP on the embedded M-Pesa simulator: lease -> invoice job ->
STK push -> simulator callback -> paid invoice -> balanced ledger -> owner payout -> statement."""

from decimal import Decimal

import pytest
import respx
from django.test import Client
from django.utils import timezone
from httpx import Response

from domus.core.install_secrets import read_or_create
from domus.finance import simulator
from domus.finance.tasks import rent_invoices_issue
from domus.properties.tests.factories import UnitFactory


def _forward_to_django(request):
    """respx side effect: serve an httpx request with the Django test client (the simulator and
    the callback route are both this very app)."""
    headers = {key: value for key, value in request.headers.items() if key.lower() in ("authorization",)}
    client = Client(headers=headers)
    path = request.url.raw_path.decode()
    if request.method == "GET":
        answer = client.get(path)
    else:
        answer = client.post(path, data=request.content, content_type="application/json")
    return Response(answer.status_code, content=answer.content, headers={"Content-Type": answer["Content-Type"]})


@pytest.fixture
def on_simulator(settings):
    settings.MPESA_CONSUMER_KEY = ""  # the embedded default: no Daraja credentials
    # ... and its callbacks authenticated by the per-install token, like the settings draw it.
    settings.MPESA_CALLBACK_TOKEN = read_or_create("mpesa-callback-token")
    settings.MPESA_CALLBACK_ALLOWED_IPS = []
    settings.MPESA_SIMULATOR_URL = "http://testserver/api/v1/finance/mpesa-simulator"
    settings.MPESA_CALLBACK_URL = "http://testserver/api/v1/properties/payments/mpesa/callback/"
    settings.MPESA_SIMULATOR_CALLBACK_DELAY = 3600  # delivered by simulator.flush() below
    with respx.mock(assert_all_mocked=True) as router:
        router.route(host="testserver").mock(side_effect=_forward_to_django)
        yield router


@pytest.mark.django_db
def test_rent_flow_end_to_end(on_simulator, client_for, staff, tenant, owner, admin_user, listing, company):
    staff_client, tenant_client, owner_client = client_for(staff), client_for(tenant), client_for(owner)
    unit = UnitFactory(listing=listing)
    today = timezone.localdate()
    lease = staff_client.post_json(
        "/api/v1/leasing/leases/",
        {
            "listing_id": str(listing.id),
            "unit_id": str(unit.id),
            "tenant_id": str(tenant.id),
            "start_date": today.isoformat(),
            "end_date": today.replace(year=today.year + 1).isoformat(),
            "rent_amount": "30000.00",
            "billing_day": 1,
            "management_fee_percent": "10",
        },
    ).json()
    assert staff_client.post(f"/api/v1/leasing/leases/{lease['id']}/activate/").json()["status"] == "active"

    assert rent_invoices_issue.delay().get() == 1  # the beat job
    invoices = tenant_client.get("/api/invoices/").json()
    assert invoices["count"] == 1
    invoice = invoices["results"][0]
    assert (invoice["status"], invoice["total"]) == ("sent", "30000.00")

    started = tenant_client.post_json(
        f"/api/v1/properties/payments/mpesa/stk/{listing.id}/",
        {"phone": "0712345678", "invoice_id": invoice["id"]},
        headers={"Idempotency-Key": "pay-rent-1"},
    )
    assert started.status_code == 201, started.content
    payment = started.json()
    assert payment["checkout_request_id"] is None  # Daraja's id is for staff only
    staff_view = staff_client.get(f"/api/v1/finance/payments/{payment['id']}/").json()
    assert staff_view["checkout_request_id"].startswith("ws_CO_SIM_")
    assert tenant_client.get(f"/api/v1/properties/payments/status/{payment['id']}/").json()["status"] == "pending"

    simulator.flush()  # "a few seconds later" the simulator calls the real callback route

    status = tenant_client.get(f"/api/v1/properties/payments/status/{payment['id']}/").json()
    assert status["status"] == "paid"
    assert status["mpesa_receipt"].startswith("SIM")
    assert tenant_client.get(f"/api/invoices/{invoice['id']}/").json()["status"] == "paid"
    assert client_for(admin_user).get("/api/v1/finance/ledger/verify/").json()["ok"] is True
    balance_url = f"/api/v1/finance/owners/{owner.id}/balance/?company_id={company.id}"
    assert Decimal(owner_client.get(balance_url).json()["balance"]) == Decimal("27000.00")

    payout = staff_client.post_json(
        "/api/v1/finance/payouts/", {"company_id": str(company.id), "owner_id": str(owner.id), "amount": "27000"}
    )
    assert payout.status_code == 201
    assert Decimal(owner_client.get(balance_url).json()["balance"]) == 0

    statement = owner_client.get(
        f"/api/v1/finance/owners/{owner.id}/statement/?company_id={company.id}&start={today}&end={today}"
    ).json()
    assert (statement["rent_collected"], statement["management_fees"], statement["payouts"]) == (
        "30000.00",
        "3000.00",
        "27000.00",
    )
    assert statement["closing_balance"] == "0.00"
    assert client_for(admin_user).get("/api/v1/finance/ledger/verify/").json()["ok"] is True


@pytest.mark.django_db
def test_a_cancelled_push_on_the_simulator(on_simulator, client_for, tenant, listing):
    response = client_for(tenant).post_json(
        f"/api/v1/properties/payments/mpesa/stk/{listing.id}/",
        {"phone": "0712341032", "purpose": "deposit", "amount": "5000"},
    )
    simulator.flush()

    status = client_for(tenant).get(f"/api/v1/properties/payments/status/{response.json()['id']}/").json()
    assert (status["status"], status["result_code"]) == ("cancelled", 1032)


@pytest.mark.django_db
def test_the_simulator_is_off_with_real_credentials(api_client):
    response = api_client.get("/api/v1/finance/mpesa-simulator/oauth/v1/generate", HTTP_AUTHORIZATION="Basic eDp5")

    assert response.status_code == 404
