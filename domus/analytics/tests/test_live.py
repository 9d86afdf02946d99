"""Live dashboard frames through Channels' communicator: a burst of changes is one frame
now and one when the interval ends (never more than one per interval per socket), the
frame carries the caller's overview; nothing is computed when nobody watches."""

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator

from domus.accounts.tests.factories import UserFactory
from domus.accounts.tokens import issue_pair
from domus.analytics import live
from domus.core.events import publish
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.routing import websocket_urlpatterns

APP = URLRouter(websocket_urlpatterns)
TIMEOUT = 3
INTERVAL = 0.5


@pytest.fixture(autouse=True)
def _setup(monkeypatch, settings) -> None:
    # database_sync_to_async closes "old" connections, the test's transaction among them.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    settings.ANALYTICS_LIVE_INTERVAL_SECONDS = INTERVAL


@pytest.fixture
def staffed(db):
    company = CompanyFactory()
    staff = MembershipFactory(company=company, role=Role.STAFF, user=UserFactory(role=Role.STAFF)).user
    return company, staff


def _burst(company, capture, n: int) -> None:
    for _ in range(n):
        lead = LeadFactory(company=company)
        with capture(execute=True):
            publish(
                "lead.captured",
                {"id": str(lead.pk), "company_id": str(company.id), "actor_id": None, "recipient_ids": []},
            )


async def _connect(token: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(APP, f"/ws/?token={token}")
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "welcome"
    return socket


def test_a_burst_of_changes_is_coalesced_to_one_frame_per_interval(staffed, django_capture_on_commit_callbacks):
    company, staff = staffed
    token = issue_pair(staff).access

    async def scenario():
        socket = await _connect(token)
        await socket.send_json_to({"type": "subscribe", "channel": "dashboard"})
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "subscribed"
        await sync_to_async(_burst)(company, django_capture_on_commit_callbacks, 5)
        first = await socket.receive_json_from(timeout=TIMEOUT)
        at_first = time.monotonic()
        second = await socket.receive_json_from(timeout=TIMEOUT)
        gap = time.monotonic() - at_first
        quiet = await socket.receive_nothing(timeout=INTERVAL * 2)
        await socket.disconnect()
        return first, second, gap, quiet

    first, second, gap, quiet = async_to_sync(scenario)()

    assert first["type"] == second["type"] == "dashboard"
    assert first["event"] == "lead.captured"
    assert first["coalesced"] + second["coalesced"] >= 10  # 5 events, 5 roll-up refreshes
    assert gap >= INTERVAL * 0.8
    assert second["overview"]["leads"]["total"] == 5
    assert second["overview"]["scope"]["company_ids"] == [str(company.id)]
    assert second["kpis"]["leads_today"] == 5
    assert quiet


def test_nothing_is_computed_when_nobody_watches(staffed, django_capture_on_commit_callbacks, monkeypatch):
    company, staff = staffed
    token = issue_pair(staff).access
    calls = []
    monkeypatch.setattr(live, "_numbers", lambda *args: calls.append(args) or {})

    async def scenario():
        socket = await _connect(token)  # connected, but not watching the dashboard
        await sync_to_async(_burst)(company, django_capture_on_commit_callbacks, 3)
        quiet = await socket.receive_nothing(timeout=INTERVAL)
        await socket.disconnect()
        return quiet

    assert async_to_sync(scenario)()
    assert calls == []


def test_unsubscribing_stops_the_frames(staffed, django_capture_on_commit_callbacks):
    company, staff = staffed
    token = issue_pair(staff).access

    async def scenario():
        socket = await _connect(token)
        await socket.send_json_to({"type": "subscribe", "channel": "dashboard"})
        await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_json_to({"type": "unsubscribe", "channel": "dashboard"})
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "unsubscribed"
        await sync_to_async(_burst)(company, django_capture_on_commit_callbacks, 2)
        quiet = await socket.receive_nothing(timeout=INTERVAL)
        await socket.disconnect()
        return quiet

    assert async_to_sync(scenario)()
