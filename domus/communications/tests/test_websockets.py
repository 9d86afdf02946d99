"""The /ws/ consumer run for real through Channels' communicator, on whichever channel
layer the settings choose (Redis when REDIS_URL is set, in-memory otherwise). Each test
drives one async scenario with ``async_to_sync`` so the consumer's database calls run on
the test's own connection and transaction."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator

from domus.accounts.tokens import issue_pair
from domus.communications.models import Notification
from domus.communications.tests.factories import ConversationFactory, MessageFactory
from domus.core.events import publish
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import CompanyFactory
from domus.properties.tests.factories import ListingFactory
from domus.routing import websocket_urlpatterns

APP = URLRouter(websocket_urlpatterns)
TIMEOUT = 3


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch) -> None:
    # database_sync_to_async closes "old" connections around each call, which closes the
    # connection holding this test's transaction; the server's connection handling is not
    # what these tests are about.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _token(user) -> str:
    return issue_pair(user).access


async def _connect(token: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(APP, f"/ws/?token={token}")
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "welcome"
    return socket


async def _subscribe(socket: WebsocketCommunicator, channel: str) -> dict:
    await socket.send_json_to({"type": "subscribe", "channel": channel})
    return await socket.receive_json_from(timeout=TIMEOUT)


def _expired_token(user, settings) -> str:
    from datetime import timedelta

    settings.JWT_ACCESS_LIFETIME = timedelta(seconds=-1)
    return _token(user)


def test_a_socket_without_a_valid_token_is_accepted_then_closed_with_4401(alice, settings):
    expired = _expired_token(alice, settings)

    async def scenario():
        results = []
        for path in ("/ws/", "/ws/?token=garbage", f"/ws/?token={expired}"):
            socket = WebsocketCommunicator(APP, path)
            connected, _ = await socket.connect(timeout=TIMEOUT)
            frame = await socket.receive_json_from(timeout=TIMEOUT)
            closed = await socket.receive_output(timeout=TIMEOUT)
            results.append((connected, frame["type"], frame["code"], closed))
        return results

    close = {"type": "websocket.close", "code": 4401}
    assert async_to_sync(scenario)() == [
        (True, "error", "token_missing", close),
        (True, "error", "token_invalid", close),
        (True, "error", "token_expired", close),
    ]


def test_a_bad_token_in_the_subprotocol_is_answered_in_that_subprotocol(db):
    async def scenario():
        socket = WebsocketCommunicator(APP, "/ws/", subprotocols=["bearer", "a.b.c"])
        connected, subprotocol = await socket.connect(timeout=TIMEOUT)
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        closed = await socket.receive_output(timeout=TIMEOUT)
        return connected, subprotocol, frame["code"], closed

    assert async_to_sync(scenario)() == (True, "bearer", "token_invalid", {"type": "websocket.close", "code": 4401})


def test_the_token_may_come_in_the_websocket_subprotocol(alice):
    token = _token(alice)

    async def scenario():
        socket = WebsocketCommunicator(APP, "/ws/", subprotocols=["bearer", token])
        connected, subprotocol = await socket.connect(timeout=TIMEOUT)
        welcome = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return connected, subprotocol, welcome

    connected, subprotocol, welcome = async_to_sync(scenario)()

    assert (connected, subprotocol) == (True, "bearer")
    assert welcome == {"type": "welcome", "user_id": str(alice.id)}


def test_a_message_sent_over_http_reaches_the_other_member_and_not_a_non_member(
    client_for, alice, bob, stranger, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory(members=[alice, bob])
    channel = f"chat:{conversation.id}"
    bob_token, stranger_token, api = _token(bob), _token(stranger), client_for(alice)

    def send_over_http():
        with django_capture_on_commit_callbacks(execute=True):
            return api.post_json(
                f"/api/v1/communications/conversations/{conversation.id}/send_message/", {"body": "Hi Bob"}
            )

    async def scenario():
        bob_socket, stranger_socket = await _connect(bob_token), await _connect(stranger_token)
        subscribed = await _subscribe(bob_socket, channel)
        refused = await _subscribe(stranger_socket, channel)
        response = await sync_to_async(send_over_http)()
        received = await bob_socket.receive_json_from(timeout=TIMEOUT)
        stranger_got_nothing = await stranger_socket.receive_nothing(timeout=0.3)
        await bob_socket.disconnect()
        await stranger_socket.disconnect()
        return subscribed, refused, response, received, stranger_got_nothing

    subscribed, refused, response, received, stranger_got_nothing = async_to_sync(scenario)()

    assert subscribed == {"type": "subscribed", "channel": channel}
    assert refused["type"] == "error"
    assert refused["code"] == "forbidden"
    assert response.status_code == 201
    assert received["type"] == "message"
    assert (received["id"], received["body"], received["sender_id"]) == (response.json()["id"], "Hi Bob", str(alice.id))
    assert stranger_got_nothing


def test_typing_goes_to_the_others_and_read_receipts_to_the_chat(
    client_for, alice, bob, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory(members=[alice, bob])
    message = MessageFactory(conversation=conversation, sender=bob)
    channel = f"chat:{conversation.id}"
    alice_token, bob_token, api = _token(alice), _token(bob), client_for(alice)

    def mark_read():
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(f"/api/v1/communications/messages/{message.id}/mark_read/")

    async def scenario():
        alice_socket, bob_socket = await _connect(alice_token), await _connect(bob_token)
        await _subscribe(alice_socket, channel)
        await _subscribe(bob_socket, channel)
        await alice_socket.send_json_to({"type": "typing", "channel": channel})
        typing = await bob_socket.receive_json_from(timeout=TIMEOUT)
        alice_quiet = await alice_socket.receive_nothing(timeout=0.2)
        await sync_to_async(mark_read)()
        receipt = await bob_socket.receive_json_from(timeout=TIMEOUT)
        await alice_socket.disconnect()
        await bob_socket.disconnect()
        return typing, alice_quiet, receipt

    typing, alice_quiet, receipt = async_to_sync(scenario)()

    assert typing == {"type": "typing", "channel": channel, "user_id": str(alice.id)}
    assert alice_quiet
    assert receipt["type"] == "read"
    assert (receipt["message_id"], receipt["user_id"]) == (str(message.id), str(alice.id))


def test_a_domain_event_notification_reaches_its_user_once(alice, bob, monkeypatch, django_capture_on_commit_callbacks):
    from domus.core.tasks import deliver_event, deliver_events

    alice_token, bob_token = _token(alice), _token(bob)
    payload = {"id": "018f0000-0000-7000-8000-0000000000aa", "company_id": None, "actor_id": None}
    payload["recipient_ids"] = [str(alice.id)]

    for task in (deliver_event, deliver_events):  # one subscriber, several

        def redeliver(*args, task=task):  # the broker hands the event over twice
            task.apply(args=args)
            task.apply(args=args)

        monkeypatch.setattr(task, "delay", redeliver)

    def publish_twice():
        with django_capture_on_commit_callbacks(execute=True):
            publish("invoice.sent", payload)

    async def scenario():
        alice_socket, bob_socket = await _connect(alice_token), await _connect(bob_token)
        await _subscribe(alice_socket, "notifications")
        await _subscribe(bob_socket, "notifications")
        await sync_to_async(publish_twice)()
        first = await alice_socket.receive_json_from(timeout=TIMEOUT)
        no_second = await alice_socket.receive_nothing(timeout=0.3)
        bob_quiet = await bob_socket.receive_nothing(timeout=0.1)
        await alice_socket.disconnect()
        await bob_socket.disconnect()
        return first, no_second, bob_quiet

    first, no_second, bob_quiet = async_to_sync(scenario)()

    assert first["type"] == "notification"
    assert (first["event"], first["title"]) == ("invoice.sent", "New invoice")
    assert no_second
    assert bob_quiet
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_bad_frames_get_error_frames_and_the_socket_stays_open(alice):
    token = _token(alice)
    frames = [
        "not json",
        "[1, 2]",
        '{"no": "type"}',
        '{"type": "dance"}',
        '{"type": "subscribe"}',
        '{"type": "subscribe", "channel": "gossip"}',
        '{"type": "subscribe", "channel": "chat:not-a-uuid"}',
        '{"type": "typing", "channel": "chat:018f0000-0000-7000-8000-000000000000"}',
    ]

    async def scenario():
        socket = await _connect(token)
        answers = []
        for frame in frames:
            await socket.send_to(text_data=frame)
            answers.append(await socket.receive_json_from(timeout=TIMEOUT))
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return answers, pong

    answers, pong = async_to_sync(scenario)()

    assert [a["type"] for a in answers] == ["error"] * len(frames)
    assert [a["code"] for a in answers] == [
        "bad_frame",
        "bad_frame",
        "bad_frame",
        "bad_frame",
        "bad_frame",
        "bad_channel",
        "bad_channel",
        "not_subscribed",
    ]
    assert pong == {"type": "pong"}


def test_dashboard_is_for_staff_and_scoped_to_their_company(
    staff, other_staff, company, alice, django_capture_on_commit_callbacks
):
    tokens = [_token(u) for u in (staff, other_staff, alice)]

    def capture_lead():
        LeadFactory(company=company)
        LeadFactory(company=CompanyFactory())  # another company's: not in these KPIs
        with django_capture_on_commit_callbacks(execute=True):
            publish("lead.captured", {"id": "l1", "company_id": str(company.id), "actor_id": None, "recipient_ids": []})

    async def scenario():
        staff_socket, other_socket, customer_socket = [await _connect(t) for t in tokens]
        ok = await _subscribe(staff_socket, "dashboard")
        await _subscribe(other_socket, "dashboard")
        refused = await _subscribe(customer_socket, "dashboard")
        await sync_to_async(capture_lead)()
        update = await staff_socket.receive_json_from(timeout=TIMEOUT)
        other_quiet = await other_socket.receive_nothing(timeout=0.3)
        for socket in (staff_socket, other_socket, customer_socket):
            await socket.disconnect()
        return ok, refused, update, other_quiet

    ok, refused, update, other_quiet = async_to_sync(scenario)()

    assert ok == {"type": "subscribed", "channel": "dashboard"}
    assert refused["code"] == "forbidden"
    assert (update["type"], update["event"], update["data"]["company_id"]) == (
        "dashboard",
        "lead.captured",
        str(company.id),
    )
    assert update["kpis"] == {
        "leads_today": 1,
        "leads_open": 1,
        "offers_pending": 0,
        "payments_today": 0,
        "collected_today": {},
        "tickets_open": 0,
    }
    assert other_quiet


def test_property_channel_pushes_public_price_changes(alice, django_capture_on_commit_callbacks):
    listing = ListingFactory(company=CompanyFactory())
    hidden = ListingFactory(company=CompanyFactory(), is_published=False)
    token = _token(alice)

    def change_price():
        with django_capture_on_commit_callbacks(execute=True):
            publish(
                "listing.price_changed", {"id": str(listing.id), "old_price": "1", "new_price": "2", "actor_id": "x"}
            )

    async def scenario():
        socket = await _connect(token)
        ok = await _subscribe(socket, f"property:{listing.id}")
        refused = await _subscribe(socket, f"property:{hidden.id}")
        await sync_to_async(change_price)()
        update = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return ok, refused, update

    ok, refused, update = async_to_sync(scenario)()

    assert ok["type"] == "subscribed"
    assert refused["code"] == "not_found"
    assert update["event"] == "listing.price_changed"
    assert update["data"]["new_price"] == "2"
    assert "actor_id" not in update["data"]


def _admit(token: str, origin: bytes | None) -> tuple[bool, dict | None]:
    """Connect through the whole ASGI application (the origin check included)."""
    from domus.asgi import application

    async def scenario():
        headers = [(b"origin", origin)] if origin is not None else []
        socket = WebsocketCommunicator(application, f"/ws/?token={token}", headers=headers)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        welcome = await socket.receive_json_from(timeout=TIMEOUT) if connected else None
        await socket.disconnect()
        return connected, welcome

    return async_to_sync(scenario)()


def test_a_browser_origin_is_checked_against_websocket_allowed_origins(alice, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.example.com"]
    token = _token(alice)

    allowed = _admit(token, b"https://app.example.com")
    host_only = _admit(token, b"http://testserver")
    other = _admit(token, b"https://evil.example")

    assert (allowed[0], allowed[1]["user_id"]) == (True, str(alice.id))
    assert host_only == (False, None)
    assert other == (False, None)


def test_a_client_without_an_origin_connects_with_a_valid_token(alice, settings):
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.example.com"]

    connected, welcome = _admit(_token(alice), None)

    assert connected
    assert welcome == {"type": "welcome", "user_id": str(alice.id)}


def test_after_unsubscribe_no_more_pushes_arrive(client_for, alice, bob, django_capture_on_commit_callbacks):
    conversation = ConversationFactory(members=[alice, bob])
    channel = f"chat:{conversation.id}"
    bob_token, api = _token(bob), client_for(alice)
    url = f"/api/v1/communications/conversations/{conversation.id}/send_message/"

    def send(body):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post_json(url, {"body": body})

    async def scenario():
        socket = await _connect(bob_token)
        await _subscribe(socket, channel)
        await sync_to_async(send)("first")
        first = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_json_to({"type": "unsubscribe", "channel": channel})
        unsubscribed = await socket.receive_json_from(timeout=TIMEOUT)
        await sync_to_async(send)("second")
        quiet = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return first, unsubscribed, quiet

    first, unsubscribed, quiet = async_to_sync(scenario)()

    assert first["body"] == "first"
    assert unsubscribed == {"type": "unsubscribed", "channel": channel}
    assert quiet


def test_a_notification_staff_create_reaches_the_users_socket(
    client_for, alice, staff, company, django_capture_on_commit_callbacks
):
    from domus.organizations.tests.factories import MembershipFactory

    MembershipFactory(company=company, user=alice)
    alice_token, api = _token(alice), client_for(staff)

    def notify():
        with django_capture_on_commit_callbacks(execute=True):
            return api.post_json(
                "/api/v1/communications/notifications/",
                {"recipient_id": str(alice.id), "title": "Keys ready", "body": "Pick them up at the office."},
            )

    async def scenario():
        socket = await _connect(alice_token)
        await _subscribe(socket, "notifications")
        response = await sync_to_async(notify)()
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return response, frame

    response, frame = async_to_sync(scenario)()

    assert response.status_code == 201, response.content
    assert frame["type"] == "notification"
    assert (frame["id"], frame["title"], frame["body"]) == (
        response.json()["id"],
        "Keys ready",
        "Pick them up at the office.",
    )


def test_the_socket_closes_when_its_token_expires(alice, settings):
    from datetime import timedelta

    settings.JWT_ACCESS_LIFETIME = timedelta(seconds=2)
    token = _token(alice)

    async def scenario():
        socket = await _connect(token)
        subscribed = await _subscribe(socket, "notifications")
        expired = await socket.receive_json_from(timeout=4)
        closed = await socket.receive_output(timeout=2)
        return subscribed, expired, closed

    subscribed, expired, closed = async_to_sync(scenario)()

    assert subscribed["type"] == "subscribed"
    assert (expired["type"], expired["code"]) == ("error", "token_expired")
    assert closed == {"type": "websocket.close", "code": 4401}


def test_a_deactivated_user_cannot_subscribe_and_is_disconnected(alice):
    token = _token(alice)

    def deactivate():
        type(alice).objects.filter(pk=alice.pk).update(is_active=False)

    async def scenario():
        socket = await _connect(token)
        await sync_to_async(deactivate)()
        await socket.send_json_to({"type": "subscribe", "channel": "notifications"})
        refused = await socket.receive_json_from(timeout=TIMEOUT)
        closed = await socket.receive_output(timeout=TIMEOUT)
        return refused, closed

    refused, closed = async_to_sync(scenario)()

    assert (refused["type"], refused["code"]) == ("error", "inactive")
    assert closed == {"type": "websocket.close", "code": 4401}
