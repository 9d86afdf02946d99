"""The ``/ws/`` WebSocket: one connection, many subscriptions.

Client frames (JSON):
- ``{"type": "subscribe", "channel": "notifications" | "chat:<id>" | "dashboard" | "property:<id>"}``
- ``{"type": "unsubscribe", "channel": ...}``
- ``{"type": "typing", "channel": "chat:<id>"}`` (to a subscribed chat)
- ``{"type": "ping"}``

Server frames: ``welcome``, ``subscribed``, ``unsubscribed``, ``pong``, ``notification``,
``message``, ``typing``, ``read``, ``dashboard``, ``property`` and
``{"type": "error", "code": ..., "detail": ...}``: a refused subscription or a bad frame
answers an error frame and the connection stays open."""

import asyncio
import json
import logging
import time
from typing import Any
from uuid import UUID

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from domus.analytics.live import DashboardFeed
from domus.communications import policies, realtime, selectors

logger = logging.getLogger("domus.communications.consumers")

UNAUTHENTICATED_CLOSE_CODE = 4401
AUTH_ERRORS = {
    "token_missing": "Send an access token (?token=<jwt> or the bearer subprotocol).",
    "token_expired": "The access token expired.",
    "token_invalid": "The access token is not valid.",
}
MAX_FRAME_BYTES = 16 * 1024
MAX_SUBSCRIPTIONS = 200


class Refused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Closed(Exception):
    """The socket was closed while handling a frame; nothing more to answer."""


def _uuid(raw: str, channel: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise Refused("bad_channel", f"{channel!r} does not name a valid id.") from None


@database_sync_to_async
def _still_active(user: Any) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user.pk, is_active=True).exists()


@database_sync_to_async
def _groups_for(user: Any, channel: str) -> list[str]:
    """The layer groups of ``channel`` if ``user`` may subscribe; ``Refused`` otherwise."""
    from domus.properties.selectors import listing_visible_to

    kind, _, ident = channel.partition(":")
    if channel == "notifications":
        return [realtime.user_group(user.pk)]
    if kind == "chat" and ident:
        conversation_id = _uuid(ident, channel)
        if not selectors.conversation_is_member(user=user, conversation_id=conversation_id):
            raise Refused("forbidden", "Only members of a conversation subscribe to it.")
        return [realtime.chat_group(conversation_id)]
    if channel == "dashboard":
        groups = policies.dashboard_groups(user)
        if not groups:
            raise Refused("forbidden", "Only company staff and admins watch the dashboard.")
        return groups
    if kind == "property" and ident:
        listing_id = _uuid(ident, channel)
        if not listing_visible_to(user).filter(pk=listing_id).exists():
            raise Refused("not_found", "No such listing.")
        return [realtime.property_group(listing_id)]
    raise Refused("bad_channel", "Unknown channel; use notifications, chat:<id>, dashboard or property:<id>.")


class RealtimeConsumer(AsyncWebsocketConsumer):
    """A signed-in user's live updates."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            # Accepted, then closed: a refused handshake reaches a client as a bare failure,
            # while 4401 after an error frame tells it to get a fresh token and reconnect.
            await self.accept(subprotocol=self.scope.get("accepted_subprotocol"))
            code = self.scope.get("auth_error") or "token_missing"
            await self._send(
                {"type": "error", "code": code, "detail": AUTH_ERRORS.get(code, AUTH_ERRORS["token_invalid"])}
            )
            await self.close(code=UNAUTHENTICATED_CLOSE_CODE)
            return
        self.user = user
        self.subscriptions: dict[str, list[str]] = {}
        await self.accept(subprotocol=self.scope.get("accepted_subprotocol"))
        await self._send({"type": "welcome", "user_id": str(user.pk)})
        exp = self.scope.get("token_exp")
        if exp is not None:
            # The socket lives as long as the token it signed in with; the client
            # reconnects with a fresh one.
            self._expiry = asyncio.ensure_future(self._close_at(exp))

    async def _close_at(self, exp: float) -> None:
        await asyncio.sleep(max(0.0, exp - time.time()))
        await self._send({"type": "error", "code": "token_expired", "detail": AUTH_ERRORS["token_expired"]})
        await self.close(code=UNAUTHENTICATED_CLOSE_CODE)

    async def disconnect(self, code: int) -> None:
        feed = getattr(self, "_dashboard", None)
        if feed is not None:
            feed.close()
        expiry = getattr(self, "_expiry", None)
        if expiry is not None and not expiry.done():
            expiry.cancel()
        for groups in getattr(self, "subscriptions", {}).values():
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if text_data is None or len(text_data) > MAX_FRAME_BYTES:
                raise Refused("bad_frame", f"Send JSON text frames of at most {MAX_FRAME_BYTES} bytes.")
            try:
                frame = json.loads(text_data)
            except ValueError:
                raise Refused("bad_frame", "The frame is not valid JSON.") from None
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                raise Refused("bad_frame", 'A frame is a JSON object with a "type".')
            await self._handle(frame)
        except Closed:
            return
        except Refused as refusal:
            await self._send({"type": "error", "code": refusal.code, "detail": refusal.detail})
        except Exception:
            logger.exception("websocket frame failed")
            await self._send({"type": "error", "code": "internal", "detail": "The frame could not be handled."})

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        channel = frame.get("channel")
        if kind == "ping":
            await self._send({"type": "pong"})
            return
        if kind not in ("subscribe", "unsubscribe", "typing"):
            raise Refused("bad_frame", f"Unknown frame type {kind!r}.")
        if not isinstance(channel, str) or not channel or len(channel) > 100:
            raise Refused("bad_frame", 'This frame needs a "channel".')
        if kind == "subscribe":
            await self._subscribe(channel)
        elif kind == "unsubscribe":
            for group in self.subscriptions.pop(channel, []):
                await self.channel_layer.group_discard(group, self.channel_name)
            if channel == "dashboard" and getattr(self, "_dashboard", None) is not None:
                self._dashboard.close()
                self._dashboard = None
            await self._send({"type": "unsubscribed", "channel": channel})
        else:
            if not channel.startswith("chat:") or channel not in self.subscriptions:
                raise Refused("not_subscribed", "Subscribe to the chat before sending typing indicators.")
            await self.channel_layer.group_send(
                self.subscriptions[channel][0],
                {
                    "type": "push",
                    "payload": {"type": "typing", "channel": channel, "user_id": str(self.user.pk)},
                    "exclude": self.channel_name,
                },
            )

    async def _subscribe(self, channel: str) -> None:
        if not await _still_active(self.user):
            await self._send({"type": "error", "code": "inactive", "detail": "The account is no longer active."})
            await self.close(code=UNAUTHENTICATED_CLOSE_CODE)
            raise Closed
        if channel not in self.subscriptions:
            if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                raise Refused("too_many_subscriptions", f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection.")
            groups = await _groups_for(self.user, channel)
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
            self.subscriptions[channel] = groups
            if channel == "dashboard":
                self._dashboard = DashboardFeed(user=self.user, send=self._send)
        await self._send({"type": "subscribed", "channel": channel})

    async def dashboard_changed(self, message: dict[str, Any]) -> None:
        """Dashboard numbers may have changed: the feed sends a coalesced frame."""
        feed = getattr(self, "_dashboard", None)
        if feed is not None:
            feed.changed(message)

    async def push(self, event: dict[str, Any]) -> None:
        """A message sent to one of this socket's groups (``realtime.send_now``)."""
        if event.get("exclude") and event["exclude"] == self.channel_name:
            return
        await self._send(event["payload"])

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, default=str))
