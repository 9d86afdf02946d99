"""Pushes to WebSocket clients through the channel layer.

Groups: ``user.<id>`` (a user's notifications), ``chat.<conversation id>``,
``dashboard.<company id>`` / ``dashboard.all`` (admins), ``property.<listing id>``.
A push is sent after the current transaction commits and never fails the caller: a
channel layer that is down costs the live update, not the write."""

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("domus.communications.realtime")


def user_group(user_id: UUID | str) -> str:
    return f"user.{user_id}"


def chat_group(conversation_id: UUID | str) -> str:
    return f"chat.{conversation_id}"


def dashboard_group(company_id: UUID | str | None) -> str:
    return f"dashboard.{company_id or 'all'}"


def property_group(listing_id: UUID | str) -> str:
    return f"property.{listing_id}"


def send_now(group: str, payload: dict[str, Any], *, exclude: str = "") -> None:
    """Send ``payload`` (a JSON frame) to every socket in ``group`` (from sync code)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "push", "payload": payload, "exclude": exclude})
    except Exception:
        logger.exception("push to %s failed", group)


def send_message(group: str, message: dict[str, Any]) -> None:
    """Send a channel-layer ``message`` (its ``type`` names the consumer's handler) to ``group``."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("message to %s failed", group)


def push(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to ``group`` once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, payload))
