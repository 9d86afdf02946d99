"""Notifications of the domain events, driven through the services and APIs that really
publish them (properties, sales, finance, saved searches, tickets): who hears of each
event, and that each event notifies once, however often it is delivered."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import respx
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.communications.models import Notification
from domus.communications.tests.factories import TicketFactory
from domus.core.roles import Role
from domus.core.tasks import deliver_event, deliver_events
from domus.finance import services as finance_services
from domus.finance.tests.conftest import CALLBACK_URL, DARAJA, FakeDaraja, callback
from domus.leasing import services as leasing_services
from domus.leasing.tests.factories import LeaseFactory
from domus.properties.services import saved_searches as saved_search_services
from domus.properties.services.visits import visit_confirm, visit_create
from domus.properties.tests.factories import ListingFactory, UnitFactory
from domus.sales.services.offers import offer_accept, offer_create


@pytest.fixture(autouse=True)
def _every_event_delivered_twice(monkeypatch):
    """The broker hands every event over twice (at-least-once delivery)."""

    for task in (deliver_event, deliver_events):  # one subscriber, several

        def twice(*args, task=task):
            task.apply(args=args)
            task.apply(args=args)

        monkeypatch.setattr(task, "delay", twice)


def _notified(event: str) -> list:
    return sorted(Notification.objects.filter(event=event).values_list("recipient_id", flat=True), key=str)


def _tomorrow_at(hour: int) -> datetime:
    return (timezone.now() + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def sale_listing(company, agent):
    return ListingFactory(company=company, agent=agent, owner=UserFactory(role=Role.OWNER))


def test_a_viewing_request_notifies_the_agent_and_its_confirmation_the_customer(
    alice, agent, sale_listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = visit_create(
            actor=alice, listing_id=sale_listing.id, starts_at=_tomorrow_at(10), ends_at=_tomorrow_at(11)
        )
    with django_capture_on_commit_callbacks(execute=True):
        visit_confirm(actor=agent, visit=visit)

    assert _notified("visit.requested") == [agent.id]
    assert _notified("visit.confirmed") == [alice.id]
    request = Notification.objects.get(event="visit.requested")
    assert (request.type, request.title, request.data["id"]) == ("visit", "New viewing request", str(visit.id))


def test_an_offer_notifies_the_seller_side_and_its_acceptance_the_buyer(
    alice, agent, sale_listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_create(actor=alice, listing_id=sale_listing.id, amount=Decimal("95000"))
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(actor=agent, offer=offer)

    assert _notified("offer.received") == sorted([agent.id, sale_listing.owner_id], key=str)
    assert _notified("offer.accepted") == sorted([alice.id, sale_listing.owner_id], key=str)
    bodies = {n.event: n.body for n in Notification.objects.filter(recipient=sale_listing.owner)}
    currency = sale_listing.currency
    assert bodies == {
        "offer.received": f"An offer of {currency} 95000.00.",
        "offer.accepted": f"The offer of {currency} 95000.00 was accepted.",
    }


def test_a_saved_search_match_notifies_its_owner_once(alice, django_capture_on_commit_callbacks):
    search = saved_search_services.saved_search_create(
        actor=alice, name="Nairobi flats", filters={"city": "Nairobi"}, alert_frequency="instant"
    )
    now = timezone.now()
    ListingFactory(city="Nairobi", published_at=now, listed_at=now)  # on the market after the search was saved

    with django_capture_on_commit_callbacks(execute=True):
        matched = saved_search_services.saved_search_alert(saved_search_id=search.pk)

    assert matched == 1
    assert _notified("saved_search.matched") == [alice.id]
    assert Notification.objects.get().body == "1 new listing(s) match your saved search."


def test_ticket_replies_notify_the_other_side(client_for, alice, staff, company, django_capture_on_commit_callbacks):
    ticket = TicketFactory(customer=alice, company=company, assignee=staff)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post_json(f"/api/v1/communications/tickets/{ticket.id}/reply/", {"body": "On it"})
    staff_reply = _notified("ticket.replied")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post_json(f"/api/v1/communications/tickets/{ticket.id}/reply/", {"body": "Thanks"})

    assert staff_reply == [alice.id]
    assert _notified("ticket.replied") == sorted([alice.id, staff.id], key=str)


# Invoices and payments (finance, with M-Pesa faked at the HTTP boundary) --------------------


@pytest.fixture
def daraja(settings):
    settings.MPESA_BASE_URL = DARAJA
    settings.MPESA_CONSUMER_KEY = "key"
    settings.MPESA_CONSUMER_SECRET = "secret"
    settings.MPESA_SHORTCODE = "174379"
    settings.MPESA_PASSKEY = "passkey"
    settings.MPESA_CALLBACK_URL = "https://domus.example.test/api/v1/finance/payments/mpesa/callback/"
    settings.MPESA_CALLBACK_TOKEN = ""
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["127.0.0.1"]  # the test client plays Safaricom
    with respx.mock(assert_all_called=False) as router:
        router.route(host="testserver").pass_through()
        yield FakeDaraja(router)


@pytest.fixture
def tenant(db):
    return UserFactory(role=Role.TENANT, email="tenant@example.test")


@pytest.fixture
def invoice(client_for, company, staff, tenant, django_capture_on_commit_callbacks) -> dict:
    """The tenant's first rent invoice, as the tenant reads it over the API."""
    listing = ListingFactory(company=company, listing_type="rent", price=Decimal("30000"))
    lease = LeaseFactory(
        listing=listing,
        unit=UnitFactory(listing=listing),
        tenant=tenant,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        rent_amount=Decimal("30000.00"),
        billing_day=5,
    )
    with django_capture_on_commit_callbacks(execute=True):
        leasing_services.lease_activate(actor=staff, lease=lease)
        finance_services.rent_invoices_issue(today=date(2026, 1, 5))
    invoices = client_for(tenant).get("/api/v1/finance/invoices/").json()["results"]
    assert len(invoices) == 1
    return invoices[0]


def _pay(client_for, api_client, tenant, invoice, daraja, code, capture) -> None:
    with capture(execute=True):
        started = client_for(tenant).post_json(
            "/api/v1/finance/payments/mpesa/stk/", {"phone": "0712345678", "invoice_id": invoice["id"]}
        )
    assert started.status_code == 201, started.content
    checkout = f"ws_CO_{daraja.count}"  # the id FakeDaraja gave the push just made
    with capture(execute=True):
        answered = api_client.post_json(CALLBACK_URL, callback(checkout, code=code))
    assert answered.status_code == 200, answered.content


def test_an_invoice_sent_notifies_its_tenant_once(invoice, tenant, staff):
    assert _notified("invoice.sent") == [tenant.id]
    sent = Notification.objects.get(event="invoice.sent")
    assert (sent.title, sent.body) == ("New invoice", f"Invoice {invoice['number']}: KES {invoice['total']}.")


def test_every_event_notification_has_a_title_and_a_body(alice, django_capture_on_commit_callbacks):
    from domus.communications.notices import NOTICES
    from domus.core.events import publish

    with django_capture_on_commit_callbacks(execute=True):
        for event in NOTICES:
            publish(event, {"id": "x", "recipient_ids": [str(alice.id)], "user_id": str(alice.id)})

    notifications = Notification.objects.filter(recipient=alice)
    assert sorted(n.event for n in notifications) == sorted(NOTICES)
    assert all(n.title and n.body for n in notifications)


def test_each_failed_payment_notifies_and_a_payment_received_too(
    api_client, client_for, tenant, invoice, daraja, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS_ENABLED = False
    capture = django_capture_on_commit_callbacks

    _pay(client_for, api_client, tenant, invoice, daraja, 1032, capture)  # cancelled on the phone
    _pay(client_for, api_client, tenant, invoice, daraja, 2001, capture)  # the retry: wrong PIN
    _pay(client_for, api_client, tenant, invoice, daraja, 0, capture)

    # Two genuine failures are two notifications (each delivered twice, stored once).
    assert _notified("payment.failed") == [tenant.id, tenant.id]
    assert _notified("payment.received") == [tenant.id]
    received = Notification.objects.get(event="payment.received")
    assert received.body.startswith("KES ")
    assert received.body.endswith(" received. Thank you.")
