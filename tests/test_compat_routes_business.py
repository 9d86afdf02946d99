"""Every path of the original systems (docs/compatibility.md) served by the listing portal,
CRM and sales, and rentals and money answers at that path, with and without the trailing
slash and without /v1: never a routing 404, a 405 or a 500. Ids are random: a 404 for a missing object is an answer; the
behaviour behind each route is tested in its app."""

from uuid import uuid4

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from tests.compat_routing import FORMS, assert_routed, call

# (method, path relative to /api/v1/ or /api/) as the original systems write them
ORIGINAL_ROUTES = [
    # the real-estate backend with M-Pesa payments (realty-mpesa): listings, visits, geocoding, payments
    ("GET", "properties"),
    ("POST", "properties"),
    ("GET", "properties/{id}"),
    ("PUT", "properties/{id}"),
    ("GET", "properties/visits"),
    ("POST", "properties/visits"),
    ("GET", "properties/visits/{id}"),
    ("PUT", "properties/visits/{id}"),
    ("POST", "properties/geocode"),
    ("GET", "properties/payments"),
    ("POST", "properties/payments/mpesa/stk/{id}"),
    ("POST", "properties/payments/mpesa/callback"),
    ("GET", "properties/payments/status/{id}"),
    ("GET", "properties/payments/admin-list"),
    ("POST", "properties/payments/{id}/retry"),
    # the real-estate management system (rems): projects and units, finance, sales
    ("GET", "projects"),
    ("POST", "projects"),
    ("GET", "projects/{id}"),
    ("PUT", "projects/{id}"),
    ("GET", "projects/{id}/units"),
    ("POST", "projects/{id}/units"),
    ("GET", "finance/invoices"),
    ("POST", "finance/invoices"),
    ("GET", "finance/invoices/{id}"),
    ("PUT", "finance/invoices/{id}"),
    ("POST", "finance/invoices/{id}/send"),
    ("GET", "finance/transactions"),
    ("GET", "finance/payouts"),
    ("POST", "finance/payouts"),
    ("GET", "sales/contracts"),
    ("POST", "sales/contracts"),
    ("GET", "sales/contracts/{id}"),
    ("PUT", "sales/contracts/{id}"),
    ("GET", "sales/offers"),
    ("POST", "sales/offers"),
    ("GET", "sales/commissions"),
    # the real-estate CRM (crm): clients, properties, transactions (deals)
    ("GET", "clients"),
    ("POST", "clients"),
    ("PATCH", "clients/{id}"),
    ("PATCH", "properties/{id}"),
    ("GET", "transactions"),
    ("POST", "transactions"),
    ("PATCH", "transactions/{id}/status"),
    # the statistics, communication and audit API (stats-comms): stats
    ("GET", "stats/price-trends"),
    ("GET", "stats/lead-quality"),
    ("GET", "stats/lead-score"),
    ("GET", "stats/conversion-funnel"),
    # the back office (backoffice): lead capture, invoices, payments
    ("POST", "marketing/contact"),
    ("POST", "marketing/schedule-call"),
    ("GET", "invoices"),
    ("POST", "invoices"),
    ("GET", "invoices/{id}"),
    ("PUT", "invoices/{id}"),
    ("PATCH", "invoices/{id}"),
    ("GET", "payments"),
    ("POST", "payments"),
    ("GET", "payments/{id}"),
    ("PUT", "payments/{id}"),
    ("PATCH", "payments/{id}"),
]
DELETE_ROUTES = [
    "properties/{id}",
    "properties/visits/{id}",
    "projects/{id}",
    "finance/invoices/{id}",
    "sales/contracts/{id}",
    "invoices/{id}",
    "payments/{id}",
]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    settings.RATE_LIMITS_ENABLED = False


@pytest.mark.parametrize(("method", "path"), ORIGINAL_ROUTES)
def test_original_route_answers_in_every_form(admin_client, method, path):
    for form in FORMS:
        url = form.format(path.format(id=uuid4()))
        assert_routed(call(admin_client, method, url), method, url)


@pytest.mark.parametrize("path", DELETE_ROUTES)
def test_original_delete_route_answers(admin_client, path):
    url = FORMS[0].format(path.format(id=uuid4()))
    response = admin_client.delete(url)
    assert_routed(response, "DELETE", url)
    assert response.status_code == 404  # the route exists; the object does not


def test_a_customer_and_an_anonymous_caller_get_answers_not_routing_errors(client_for, api_client):
    customer = client_for(UserFactory(role=Role.CUSTOMER))
    for caller in (customer, api_client):
        for method, path in ORIGINAL_ROUTES:
            url = FORMS[3].format(path.format(id=uuid4()))
            assert_routed(call(caller, method, url), method, url)
