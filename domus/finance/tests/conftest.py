import json
from datetime import date
from decimal import Decimal

import pytest
import respx
from httpx import Response

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.tests.factories import ClientFactory
from domus.leasing import services as leasing_services
from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory, UnitFactory

DARAJA = "https://daraja.example.test"


@pytest.fixture(autouse=True)
def _daraja_settings(settings):
    settings.MPESA_BASE_URL = DARAJA
    settings.MPESA_CONSUMER_KEY = "key"
    settings.MPESA_CONSUMER_SECRET = "secret"
    settings.MPESA_SHORTCODE = "174379"
    settings.MPESA_PASSKEY = "passkey"
    settings.MPESA_CALLBACK_URL = "https://domus.example.test/api/v1/finance/payments/mpesa/callback/"
    # Callbacks are authenticated by the address allow-list: the test client (127.0.0.1) plays
    # Safaricom. Tests of the path token set MPESA_CALLBACK_TOKEN themselves.
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["127.0.0.1"]
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF).user


@pytest.fixture
def owner(db):
    return UserFactory(role=Role.OWNER)


@pytest.fixture
def tenant(company):
    """A tenant the company knows (one of its CRM clients), so its staff may invoice them."""
    user = UserFactory(role=Role.TENANT, email="tenant@example.test")
    ClientFactory(company=company, user=user)
    return user


@pytest.fixture
def listing(company, owner):
    return ListingFactory(company=company, owner=owner, listing_type="rent", price=Decimal("30000"))


@pytest.fixture
def lease(listing, tenant, staff):
    """An active lease from 1 Jan 2026: 30,000 a month, due on the 5th, 10% management fee, 5% late fee."""
    lease = LeaseFactory(
        listing=listing,
        unit=UnitFactory(listing=listing),
        tenant=tenant,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        rent_amount=Decimal("30000.00"),
        billing_day=5,
        grace_days=5,
        late_fee_type="percent",
        late_fee_value=Decimal("5"),
        management_fee_percent=Decimal("10"),
    )
    return leasing_services.lease_activate(actor=staff, lease=lease)


class FakeDaraja:
    """Daraja faked at the HTTP boundary with respx: records requests, answers like the sandbox."""

    def __init__(self, router: respx.Router) -> None:
        self.router = router
        self.count = 0
        self.oauth = router.get(f"{DARAJA}/oauth/v1/generate").mock(
            return_value=Response(200, json={"access_token": "TOKEN", "expires_in": "3599"})
        )
        self.push = router.post(f"{DARAJA}/mpesa/stkpush/v1/processrequest").mock(side_effect=self._push)
        self.query_answer: dict = {"errorCode": "500.001.1001", "errorMessage": "The transaction is being processed"}
        self.query = router.post(f"{DARAJA}/mpesa/stkpushquery/v1/query").mock(side_effect=self._query)

    def _push(self, request):
        self.count += 1
        return Response(
            200,
            json={
                "MerchantRequestID": f"M-{self.count}",
                "CheckoutRequestID": f"ws_CO_{self.count}",
                "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            },
        )

    def _query(self, request):
        status = 500 if "errorCode" in self.query_answer else 200
        return Response(status, json=self.query_answer)

    def last_push(self) -> dict:
        return json.loads(self.push.calls.last.request.content)


@pytest.fixture
def daraja():
    with respx.mock(assert_all_called=False) as router:
        yield FakeDaraja(router)


def callback(
    checkout_id: str, code: int = 0, amount=30000, receipt: str = "QKJ1ABC2DE", desc: str | None = None
) -> dict:
    """A Daraja STK callback body."""
    body = {
        "MerchantRequestID": "M-1",
        "CheckoutRequestID": checkout_id,
        "ResultCode": code,
        "ResultDesc": desc or ("The service request is processed successfully." if code == 0 else "Failed"),
    }
    if code == 0:
        body["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": amount},
                {"Name": "MpesaReceiptNumber", "Value": receipt},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": 20260105101010},
                {"Name": "PhoneNumber", "Value": 254712345678},
            ]
        }
    return {"Body": {"stkCallback": body}}


CALLBACK_URL = "/api/v1/finance/payments/mpesa/callback/"
