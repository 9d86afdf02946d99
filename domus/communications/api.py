"""Communications API: conversations and messages (the M-Pesa backend's ``communications/``),
notifications, support tickets (the M-Pesa backend's
``properties/support/tickets/``), preferences
and multi-channel outreach (the statistics API's ``communication/``), and provider callbacks."""

import base64
import hashlib
import hmac
import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from ninja import Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from domus.accounts.selectors import active_user
from domus.communications import policies, selectors, services
from domus.communications.schemas import (
    BulkSendIn,
    ConversationFilters,
    ConversationOut,
    ConversationStartIn,
    DeliveryFilters,
    DeliveryOut,
    MarkAllReadOut,
    MessageFilters,
    MessageIn,
    MessageOut,
    NotificationFilters,
    NotificationIn,
    NotificationOut,
    NotificationUpdateIn,
    OptOutFilters,
    OptOutIn,
    OptOutOut,
    PreferenceIn,
    PreferenceOut,
    ReadReceiptOut,
    SendIn,
    SendOut,
    TicketAssignIn,
    TicketDetailOut,
    TicketFilters,
    TicketIn,
    TicketOut,
    TicketReplyIn,
    TicketReplyOut,
    TicketStatsOut,
    TicketUpdateIn,
    UnreadCountOut,
)
from domus.core.errors import ErrorOut
from domus.core.exceptions import AuthenticationFailed, NotFound, UnknownReference, ValidationFailed
from domus.core.idempotency import idempotent
from domus.core.openapi import plain_text
from domus.core.policies import require
from domus.core.query import reads_raw_request
from domus.core.security import QueryToken
from domus.core.throttling import ScopedRateLimit

router = Router(tags=["communications"])

MEMBERS = {"x-permission": "conversation members"}
OWN = {"x-permission": "self (the recipient) or admin"}
NOTIFIERS = {
    "x-permission": "company staff (their members; an active company also its tenants, clients and leads) or admin"
}
TICKET_PARTIES = {"x-permission": "the ticket's customer, its company's staff and agents, or admin"}
TICKET_STAFF = {"x-permission": "company staff and agents of the ticket's company, or admin"}
SENDERS = {"x-permission": "company agents, staff or admin (leads they may see)"}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# Conversations ---------------------------------------------------------------------------


@router.get(
    "/conversations/",
    response={200: list[ConversationOut], 400: ErrorOut, 401: ErrorOut},
    summary="The caller's conversations, latest activity first",
)
@paginate
def conversation_list(request: HttpRequest, filters: Query[ConversationFilters]):
    return selectors.conversation_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/conversations/start_conversation/",
    response={200: ConversationOut, 201: ConversationOut, **WRITE_ERRORS},
    summary="Start a conversation (answers the existing one for the same members and subject)",
)
def conversation_start(request: HttpRequest, payload: ConversationStartIn):
    conversation, created = services.conversation_start(actor=request.auth, **payload.model_dump())
    return Status(201 if created else 200, conversation)


@router.get(
    "/conversations/unread_count/",
    response={200: UnreadCountOut, 401: ErrorOut},
    summary="How many messages to the caller are unread",
)
def conversation_unread_count(request: HttpRequest):
    return {"unread_count": selectors.unread_count_for(request.auth)}


@router.get(
    "/conversations/{conversation_id}/",
    response={200: ConversationOut, **READ_ERRORS},
    summary="A conversation",
    openapi_extra=MEMBERS,
)
def conversation_detail(request: HttpRequest, conversation_id: UUID):
    return selectors.conversation_get_for_actor(actor=request.auth, conversation_id=conversation_id)


@router.get(
    "/conversations/{conversation_id}/messages/",
    response={200: list[MessageOut], **READ_ERRORS},
    summary="Messages of a conversation, newest first (page with `before_id=<last message id>`)",
    openapi_extra=MEMBERS,
)
@paginate
def conversation_messages(request: HttpRequest, conversation_id: UUID, filters: Query[MessageFilters]):
    selectors.conversation_get_for_actor(actor=request.auth, conversation_id=conversation_id)
    filters.conversation_id = conversation_id
    return selectors.message_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/conversations/{conversation_id}/send_message/",
    response={201: MessageOut, **WRITE_ERRORS},
    summary="Send a message (pushed to the conversation's WebSocket subscribers)",
    openapi_extra=MEMBERS,
)
@decorate_view(idempotent)
def conversation_send_message(request: HttpRequest, conversation_id: UUID, payload: MessageIn):
    conversation = selectors.conversation_get_for_actor(actor=request.auth, conversation_id=conversation_id)
    message = services.message_send(actor=request.auth, conversation=conversation, body=payload.body)
    message.is_read = True
    return Status(201, message)


# Messages --------------------------------------------------------------------------------


@router.get(
    "/messages/",
    response={200: list[MessageOut], 400: ErrorOut, 401: ErrorOut},
    summary="Messages of the caller's conversations (read-only)",
)
@paginate
def message_list(request: HttpRequest, filters: Query[MessageFilters]):
    return selectors.message_list_for_actor(actor=request.auth, filters=filters)


@router.get(
    "/messages/{message_id}/", response={200: MessageOut, **READ_ERRORS}, summary="A message", openapi_extra=MEMBERS
)
def message_detail(request: HttpRequest, message_id: UUID):
    return selectors.message_get_for_actor(actor=request.auth, message_id=message_id)


@router.post(
    "/messages/{message_id}/mark_read/",
    response={200: ReadReceiptOut, **READ_ERRORS},
    summary="Mark a message (and the older ones of its conversation) read",
    openapi_extra=MEMBERS,
)
def message_mark_read(request: HttpRequest, message_id: UUID):
    message = selectors.message_get_for_actor(actor=request.auth, message_id=message_id)
    marked = services.message_mark_read(actor=request.auth, message=message)
    return {"message_id": message.pk, "conversation_id": message.conversation_id, "marked": marked}


# Notifications ---------------------------------------------------------------------------


@router.get(
    "/notifications/",
    response={200: list[NotificationOut], 400: ErrorOut, 401: ErrorOut},
    summary="The caller's notifications (filter by is_read, type)",
)
@paginate
def notification_list(request: HttpRequest, filters: Query[NotificationFilters]):
    return selectors.notification_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/notifications/",
    response={201: NotificationOut, **WRITE_ERRORS},
    summary="Notify a user",
    openapi_extra=NOTIFIERS,
)
def notification_create(request: HttpRequest, payload: NotificationIn):
    recipient = active_user(payload.recipient_id)
    if recipient is None:
        raise UnknownReference("Unknown recipient.", errors={"recipient_id": ["No active user with this id."]})
    require(policies.can_notify(request.auth, recipient), "Only staff of the user's company or admins notify them.")
    data = payload.model_dump(exclude={"recipient_id"})
    return Status(201, services.notification_create(actor=request.auth, recipient=recipient, **data))


@router.post(
    "/notifications/mark_all_read/",
    response={200: MarkAllReadOut, 401: ErrorOut},
    summary="Mark all the caller's notifications read",
)
def notification_mark_all_read(request: HttpRequest):
    return {"marked": services.notification_mark_all_read(actor=request.auth)}


@router.get(
    "/notifications/unread_count/",
    response={200: UnreadCountOut, 401: ErrorOut},
    summary="How many of the caller's notifications are unread",
)
def notification_unread_count(request: HttpRequest):
    return {"unread_count": selectors.notification_unread_count(request.auth)}


@router.get(
    "/notifications/{notification_id}/",
    response={200: NotificationOut, **READ_ERRORS},
    summary="A notification",
    openapi_extra=OWN,
)
def notification_detail(request: HttpRequest, notification_id: UUID):
    return selectors.notification_get_for_actor(actor=request.auth, notification_id=notification_id)


@router.api_operation(
    ["PUT", "PATCH"],
    "/notifications/{notification_id}/",
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="Mark a notification read or unread",
    openapi_extra={"x-permission": "self (the recipient)"},
)
def notification_update(request: HttpRequest, notification_id: UUID, payload: NotificationUpdateIn):
    notification = _own_notification(request, notification_id)
    return services.notification_set_read(actor=request.auth, notification=notification, is_read=payload.is_read)


@router.delete(
    "/notifications/{notification_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a notification",
    openapi_extra={"x-permission": "self (the recipient)"},
)
def notification_delete(request: HttpRequest, notification_id: UUID):
    services.notification_delete(actor=request.auth, notification=_own_notification(request, notification_id))
    return Status(204, None)


def _own_notification(request: HttpRequest, notification_id: UUID):
    notification = selectors.notification_get_for_actor(actor=request.auth, notification_id=notification_id)
    require(notification.recipient_id == request.auth.pk, "Only the recipient changes a notification.")
    return notification


# Support tickets -------------------------------------------------------------------------


@router.get(
    "/tickets/",
    response={200: list[TicketOut], 400: ErrorOut, 401: ErrorOut},
    summary="Support tickets: a customer's own, their companies' for staff",
)
@paginate
def ticket_list(request: HttpRequest, filters: Query[TicketFilters]):
    return selectors.ticket_list_for_actor(actor=request.auth, filters=filters)


@router.post("/tickets/", response={201: TicketDetailOut, **WRITE_ERRORS}, summary="Open a support ticket")
def ticket_create(request: HttpRequest, payload: TicketIn):
    return Status(201, services.ticket_create(actor=request.auth, **payload.model_dump()))


@router.get(
    "/tickets/stats/",
    response={200: TicketStatsOut, 401: ErrorOut, 403: ErrorOut},
    summary="Ticket counts by status and priority, median response and resolution times",
    openapi_extra={"x-permission": "company staff and agents, or admin"},
)
def ticket_stats(request: HttpRequest):
    require(policies.is_ticket_handler(request.auth), "Only staff see ticket statistics.")
    return selectors.ticket_stats_for_actor(actor=request.auth)


@router.get(
    "/tickets/{ticket_id}/",
    response={200: TicketDetailOut, **READ_ERRORS},
    summary="A ticket with its thread",
    openapi_extra=TICKET_PARTIES,
)
def ticket_detail(request: HttpRequest, ticket_id: UUID):
    return selectors.ticket_get_for_actor(actor=request.auth, ticket_id=ticket_id)


@router.api_operation(
    ["PUT", "PATCH"],
    "/tickets/{ticket_id}/",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Change a ticket (priority and status: staff only)",
    openapi_extra=TICKET_PARTIES,
)
def ticket_update(request: HttpRequest, ticket_id: UUID, payload: TicketUpdateIn):
    ticket = selectors.ticket_get_for_actor(actor=request.auth, ticket_id=ticket_id)
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.ticket_update(actor=request.auth, ticket=ticket, **fields)


@router.delete(
    "/tickets/{ticket_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a ticket (its customer only while unanswered)",
    openapi_extra=TICKET_PARTIES,
)
def ticket_delete(request: HttpRequest, ticket_id: UUID):
    ticket = selectors.ticket_get_for_actor(actor=request.auth, ticket_id=ticket_id)
    services.ticket_delete(actor=request.auth, ticket=ticket)
    return Status(204, None)


@router.post(
    "/tickets/{ticket_id}/reply/",
    response={201: TicketReplyOut, **WRITE_ERRORS},
    summary="Reply on a ticket (a customer's reply reopens it)",
    openapi_extra=TICKET_PARTIES,
)
def ticket_reply(request: HttpRequest, ticket_id: UUID, payload: TicketReplyIn):
    ticket = selectors.ticket_get_for_actor(actor=request.auth, ticket_id=ticket_id)
    return Status(201, services.ticket_reply(actor=request.auth, ticket=ticket, body=payload.body))


@router.post(
    "/tickets/{ticket_id}/assign/",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Assign a ticket to a handler (default: the caller)",
    openapi_extra=TICKET_STAFF,
)
def ticket_assign(request: HttpRequest, ticket_id: UUID, payload: TicketAssignIn):
    ticket = selectors.ticket_get_for_actor(actor=request.auth, ticket_id=ticket_id)
    require(policies.handles_ticket(request.auth, ticket), "Only the company's staff assign tickets.")
    return services.ticket_assign(actor=request.auth, ticket=ticket, assignee_id=payload.assignee_id or request.auth.pk)


@router.post(
    "/tickets/{ticket_id}/close/",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Close a ticket",
    openapi_extra=TICKET_STAFF,
)
def ticket_close(request: HttpRequest, ticket_id: UUID):
    ticket = selectors.ticket_get_for_actor(actor=request.auth, ticket_id=ticket_id)
    require(policies.handles_ticket(request.auth, ticket), "Only the company's staff close tickets.")
    return services.ticket_close(actor=request.auth, ticket=ticket)


# Preferences -----------------------------------------------------------------------------


@router.get("/preferences/", response={200: PreferenceOut, 401: ErrorOut}, summary="The caller's preferences")
def preference_detail(request: HttpRequest):
    return selectors.preference_for(request.auth)


@router.post(
    "/preferences/",
    response={200: PreferenceOut, 201: PreferenceOut, 400: ErrorOut, 401: ErrorOut},
    summary="Save the caller's preferences (201 the first time)",
)
def preference_create(request: HttpRequest, payload: PreferenceIn):
    preference, created = services.preference_save(actor=request.auth, **payload.model_dump(exclude_unset=True))
    return Status(201 if created else 200, preference)


@router.put(
    "/preferences/",
    response={200: PreferenceOut, 400: ErrorOut, 401: ErrorOut},
    summary="Change the caller's preferences",
)
def preference_update(request: HttpRequest, payload: PreferenceIn):
    preference, _ = services.preference_save(actor=request.auth, **payload.model_dump(exclude_unset=True))
    return preference


# Outreach --------------------------------------------------------------------------------


@router.post(
    "/send/{lead_id}/",
    response={200: SendOut, **WRITE_ERRORS},
    summary="Send a message to a lead on one channel (Idempotency-Key honoured)",
    openapi_extra=SENDERS,
)
@decorate_view(idempotent)
def send_to_lead(request: HttpRequest, lead_id: UUID, payload: SendIn):
    require(policies.can_send_outreach(request.auth), "Only agents and staff message leads.")
    return services.outreach_send(actor=request.auth, lead_ids=[lead_id], missing_is_error=True, **payload.model_dump())


@router.post(
    "/send-bulk/",
    response={200: SendOut, **WRITE_ERRORS},
    summary="Send a message to many leads (per-recipient results; Idempotency-Key honoured)",
    openapi_extra=SENDERS,
)
@decorate_view(idempotent)
def send_bulk(request: HttpRequest, payload: BulkSendIn):
    require(policies.can_send_outreach(request.auth), "Only agents and staff message leads.")
    return services.outreach_send(actor=request.auth, **payload.model_dump())


OPTOUT_KEEPERS = {"x-permission": "company agents and staff (their companies' opt-outs), or admin"}


@router.get(
    "/opt-outs/",
    response={200: list[OptOutOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Opt-outs recorded by the caller's companies (all for admins)",
    openapi_extra=OPTOUT_KEEPERS,
)
@paginate
def optout_list(request: HttpRequest, filters: Query[OptOutFilters]):
    require(policies.can_send_outreach(request.auth), "Only agents and staff read opt-outs.")
    return selectors.optout_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/opt-outs/",
    response={200: OptOutOut, 201: OptOutOut, **WRITE_ERRORS},
    summary="Record that an address asked not to be contacted on a channel (200: already recorded)",
    openapi_extra=SENDERS,
)
def optout_create(request: HttpRequest, payload: OptOutIn):
    require(policies.can_send_outreach(request.auth), "Only agents and staff record opt-outs.")
    optout, created = services.optout_add(actor=request.auth, **payload.model_dump())
    return Status(201 if created else 200, optout)


@router.delete(
    "/opt-outs/{optout_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Lift an opt-out (the address may be contacted again)",
    openapi_extra=OPTOUT_KEEPERS,
)
def optout_delete(request: HttpRequest, optout_id: UUID):
    require(policies.can_send_outreach(request.auth), "Only agents and staff lift opt-outs.")
    optout = selectors.optout_get_for_actor(actor=request.auth, optout_id=optout_id)
    services.optout_remove(actor=request.auth, optout=optout)
    return Status(204, None)


@router.get(
    "/opt-out/{token}/",
    auth=None,
    response={200: None, 404: ErrorOut},
    summary="The opt-out link of a notice to somebody without an account: no more messages on that channel",
    throttle=ScopedRateLimit("public_form"),
    openapi_extra=plain_text("A confirmation sentence"),
)
@reads_raw_request
def optout_follow(request: HttpRequest, token: str):
    if services.optout_from_link(token) is None:
        raise NotFound("Unknown link.")
    return HttpResponse("You will get no more messages from us at this address.", content_type="text/plain")


@router.get(
    "/deliveries/",
    response={200: list[DeliveryOut], 400: ErrorOut, 401: ErrorOut},
    summary="Delivery records: sent by or to the caller, their companies' for staff",
)
@paginate
def delivery_list(request: HttpRequest, filters: Query[DeliveryFilters]):
    return selectors.delivery_list_for_actor(actor=request.auth, filters=filters)


@router.get(
    "/outbox/",
    response={200: list[DeliveryOut], 400: ErrorOut, 401: ErrorOut},
    summary="The local outbox: messages kept instead of sent (embedded default)",
)
@paginate
def outbox_list(request: HttpRequest, filters: Query[DeliveryFilters]):
    return selectors.delivery_list_for_actor(actor=request.auth, filters=filters, outbox=True)


@router.get(
    "/callbacks/{provider}/",
    auth=None,
    response={200: None, 401: ErrorOut},
    summary="WhatsApp webhook verification (answers hub.challenge for the right verify token)",
    throttle=ScopedRateLimit("public_form"),
    openapi_extra=plain_text("hub.challenge, as sent"),
)
@reads_raw_request
def whatsapp_verify(request: HttpRequest, provider: str):
    if provider != "whatsapp":
        raise NotFound("Only the WhatsApp webhook is verified this way.")
    expected = settings.MESSAGING_CALLBACK_TOKEN
    token = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") != "subscribe" or not expected or not constant_time_compare(token, expected):
        raise AuthenticationFailed("Bad verify token.")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


@router.post(
    "/callbacks/{provider}/",
    auth=QueryToken("MESSAGING_CALLBACK_TOKEN"),
    response={204: None, 400: ErrorOut, 401: ErrorOut},
    summary="Delivery status callback of a provider (twilio, whatsapp), with ?token= and the provider's signature",
    throttle=ScopedRateLimit("messaging_callback"),
    openapi_extra={"x-permission": "the provider (?token=MESSAGING_CALLBACK_TOKEN)"},
)
@reads_raw_request
def delivery_callback(request: HttpRequest, provider: str):
    if provider not in ("twilio", "whatsapp"):
        raise ValidationFailed("Unknown provider.", errors={"provider": ["Use twilio or whatsapp."]})
    if not callback_signature_valid(request, provider):
        raise AuthenticationFailed("Bad callback signature.")
    for message_id, status, error in _callback_statuses(request, provider):
        services.delivery_status_update(provider=provider, provider_message_id=message_id, status=status, error=error)
    return Status(204, None)


def callback_signature_valid(request: HttpRequest, provider: str) -> bool:
    """Whether the provider signed this callback (checked only when its secret is set):
    Twilio's ``X-Twilio-Signature`` (HMAC-SHA1 of the full URL and the sorted POST
    parameters, with ``TWILIO_AUTH_TOKEN``), Meta's ``X-Hub-Signature-256`` (HMAC-SHA256
    of the raw body, with ``WHATSAPP_APP_SECRET``)."""
    if provider == "twilio":
        secret = settings.TWILIO_AUTH_TOKEN
        if not secret:
            return True
        signed = callback_url(request) + "".join(f"{k}{v}" for k, v in sorted(request.POST.items()))
        digest = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha1).digest()).decode()
        return hmac.compare_digest(digest, request.headers.get("X-Twilio-Signature", ""))
    secret = settings.WHATSAPP_APP_SECRET
    if not secret:
        return True
    digest = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, request.headers.get("X-Hub-Signature-256", ""))


def callback_url(request: HttpRequest) -> str:
    """The URL the provider called, as it signed it: ``MESSAGING_CALLBACK_BASE_URL`` (the
    public address behind a proxy) and the path with its query, else the request's own."""
    base = settings.MESSAGING_CALLBACK_BASE_URL
    if base:
        return base.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def _callback_statuses(request: HttpRequest, provider: str) -> list[tuple[str, str, str]]:
    """(provider message id, status, error) of a callback body; a body of the wrong shape
    is a 400."""
    if provider == "twilio":
        form = request.POST
        message_id = form.get("MessageSid") or form.get("CallSid") or ""
        status = form.get("MessageStatus") or form.get("CallStatus") or ""
        return [(message_id, status, form.get("ErrorMessage", ""))]
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationFailed("The callback body is not JSON.") from None
    if not isinstance(body, dict):
        raise ValidationFailed("The callback body must be a JSON object.", errors={"body": ["Expected an object."]})
    rows = []
    for entry in _objects(body.get("entry"), "entry"):
        for change in _objects(entry.get("changes"), "entry.changes"):
            value = change.get("value") or {}
            if not isinstance(value, dict):
                raise _bad_shape("entry.changes.value")
            for status in _objects(value.get("statuses"), "entry.changes.value.statuses"):
                errors = status.get("errors") or [{}]
                first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
                rows.append((str(status.get("id", "")), str(status.get("status", "")), str(first.get("title", ""))))
    return rows


def _objects(value: Any, field: str) -> list[dict[str, Any]]:
    """``value`` as a list of JSON objects (missing: empty); 400 for anything else."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _bad_shape(field)
    return value


def _bad_shape(field: str) -> ValidationFailed:
    return ValidationFailed(
        "The callback body has an unexpected shape.", errors={field: ["Expected a list of objects."]}
    )
