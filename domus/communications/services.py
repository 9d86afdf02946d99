"""Every write of communications: conversations and messages, notifications, support
tickets, preferences and outbound deliveries."""

import hashlib
import json
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from domus.accounts.selectors import active_user
from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.communications import realtime
from domus.communications.addresses import normalize_address
from domus.communications.models import (
    CommunicationPreference,
    Conversation,
    ConversationMember,
    Delivery,
    DeliveryStatus,
    Message,
    MessageRead,
    Notification,
    OptOut,
    SupportTicket,
    TicketReply,
    TicketStatus,
)
from domus.communications.policies import TICKET_HANDLER_ROLES, company_ids_with_roles, handles_ticket
from domus.communications.selectors import (
    conversation_by_key,
    conversation_partner_ids,
    optout_addresses,
    preferences_by_user,
    ticket_handler_ids,
    ticket_visible_to,
)
from domus.core.events import current_event_id, event_payload, publish
from domus.core.exceptions import Conflict, NotFound, PermissionDenied, RateLimited, UnknownReference, ValidationFailed
from domus.core.ids import uuid7
from domus.core.policies import is_admin
from domus.core.throttling import hit, parse_rate
from domus.organizations.selectors import company_is_active

TICKET_REPLIED = "ticket.replied"
TICKET_ASSIGNED = "ticket.assigned"
MESSAGE_SENT = "message.sent"


def _active_users(user_ids: set[UUID]) -> dict[UUID, Any]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)}


# Conversations and messages --------------------------------------------------------------


def _conversation_key(member_ids: set[UUID], listing_id: UUID | None, lead_id: UUID | None, ticket_id) -> str:
    parts = [*sorted(str(i) for i in member_ids), f"l:{listing_id}", f"d:{lead_id}", f"t:{ticket_id}"]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _check_subject(actor: Any, listing_id: UUID | None, lead_id: UUID | None, ticket_id: UUID | None) -> None:
    from domus.crm.selectors import lead_contacts
    from domus.properties.selectors import listing_visible_to

    errors: dict[str, list[str]] = {}
    if listing_id and not listing_visible_to(actor).filter(pk=listing_id).exists():
        errors["listing_id"] = ["No listing with this id."]
    if lead_id and not lead_contacts(actor=actor, lead_ids=[lead_id]):
        errors["lead_id"] = ["No lead with this id."]
    if ticket_id and not ticket_visible_to(actor).filter(pk=ticket_id).exists():
        errors["ticket_id"] = ["No ticket with this id."]
    if errors:
        raise UnknownReference("Unknown subject.", errors=errors)


def _check_members(member_ids: set[UUID]) -> None:
    cap = settings.CONVERSATION_MAX_PARTICIPANTS
    if len(member_ids) > cap:
        raise ValidationFailed(
            f"A conversation has at most {cap} members (CONVERSATION_MAX_PARTICIPANTS).",
            errors={"participant_ids": [f"At most {cap - 1} others besides you."]},
        )


def _limit_new_contacts(actor: Any, others: set[UUID]) -> None:
    """A new conversation with someone the actor has never talked to counts against
    ``RATE_LIMITS["conversation_start"]`` (per user), so messaging strangers cannot
    become a spam channel. Admins are not limited."""
    if not settings.RATE_LIMITS_ENABLED or is_admin(actor):
        return
    if not others - conversation_partner_ids(actor=actor, user_ids=others):
        return
    limit, period = parse_rate(settings.RATE_LIMITS["conversation_start"])
    state, allowed = hit(f"conversation_start:user:{actor.pk}", limit=limit, period=period)
    if not allowed:
        raise RateLimited(
            "Too many new conversations with people you have not talked to yet. Try again later.",
            retry_after=state.retry_after,
        )


@transaction.atomic
def conversation_start(
    *,
    actor: Any,
    participant_ids: list[UUID],
    title: str = "",
    listing_id: UUID | None = None,
    lead_id: UUID | None = None,
    ticket_id: UUID | None = None,
    message: str = "",
) -> tuple[Conversation, bool]:
    """Start a conversation between ``actor`` and ``participant_ids`` about an optional
    subject; answers ``(conversation, created)``: the same members and subject get the
    existing conversation back. ``message`` is sent as the first message when given.
    At most ``CONVERSATION_MAX_PARTICIPANTS`` members (400); a new conversation with
    someone the actor has not talked to yet is rate limited (429)."""
    member_ids = set(participant_ids) | {actor.pk}
    users = _active_users(member_ids)
    missing = member_ids - set(users)
    if missing:
        raise UnknownReference(
            "Unknown participant.",
            errors={"participant_ids": [f"No active user {i}." for i in sorted(map(str, missing))]},
        )
    if len(member_ids) < 2:
        raise ValidationFailed(
            "A conversation needs another member.", errors={"participant_ids": ["Add someone else."]}
        )
    _check_members(member_ids)
    _check_subject(actor, listing_id, lead_id, ticket_id)
    key = _conversation_key(member_ids, listing_id, lead_id, ticket_id)
    created = False
    conversation = conversation_by_key(key)
    if conversation is None:
        _limit_new_contacts(actor, member_ids - {actor.pk})
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    key=key, title=title, created_by=actor, listing_id=listing_id, lead_id=lead_id, ticket_id=ticket_id
                )
                ConversationMember.objects.bulk_create(
                    [ConversationMember(conversation=conversation, user_id=uid) for uid in sorted(member_ids, key=str)]
                )
                audit_create(actor=actor, instance=conversation)
            created = True
        except IntegrityError:  # started concurrently by another request
            conversation = conversation_by_key(key)
    if message.strip():
        message_send(actor=actor, conversation=conversation, body=message)
    conversation = Conversation.objects.prefetch_related("memberships").get(pk=conversation.pk)
    return conversation, created


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": f"chat:{message.conversation_id}",
        "id": str(message.pk),
        "conversation_id": str(message.conversation_id),
        "sender_id": str(message.sender_id) if message.sender_id else None,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


@transaction.atomic
def message_send(*, actor: Any, conversation: Conversation, body: str) -> Message:
    """Post ``body`` to ``conversation`` (the caller is a member; the API checks) and push
    it to the conversation's WebSocket subscribers."""
    if not body.strip():
        raise ValidationFailed("A message needs some text.", errors={"body": ["This field may not be blank."]})
    message = Message.objects.create(conversation=conversation, sender=actor, body=body)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    # The trail says who wrote where and when; the private text stays in the conversation.
    audit_record(
        actor=actor,
        action="create",
        resource_type=Message._meta.label_lower,
        resource_id=message.pk,
        changes={"conversation": {"before": None, "after": str(conversation.pk)}},
    )
    realtime.push(realtime.chat_group(conversation.pk), message_payload(message))
    if conversation.lead_id is not None:
        # Marketing hears of a lead talking with its agent (a reply, a conversation).
        publish(
            MESSAGE_SENT,
            {
                "id": str(message.pk),
                "conversation_id": str(conversation.pk),
                "lead_id": str(conversation.lead_id),
                "sender_id": str(actor.pk),
            },
        )
    return message


@transaction.atomic
def message_mark_read(*, actor: Any, message: Message) -> int:
    """Mark ``message`` and every older unread message of its conversation as read by
    ``actor``; answers how many became read and pushes a read receipt."""
    unread = (
        Message.objects.filter(conversation_id=message.conversation_id, created_at__lte=message.created_at)
        .exclude(sender=actor)
        .exclude(reads__user=actor)
        .values_list("pk", flat=True)
    )
    ids = list(unread)
    MessageRead.objects.bulk_create([MessageRead(message_id=i, user=actor) for i in ids], ignore_conflicts=True)
    if ids:
        audit_record(
            actor=actor,
            action="mark_read",
            resource_type=Message._meta.label_lower,
            resource_id=message.pk,
            changes={"messages_read": {"before": None, "after": len(ids)}},
        )
        realtime.push(
            realtime.chat_group(message.conversation_id),
            {
                "type": "read",
                "channel": f"chat:{message.conversation_id}",
                "conversation_id": str(message.conversation_id),
                "message_id": str(message.pk),
                "user_id": str(actor.pk),
                "read_at": timezone.now().isoformat(),
            },
        )
    return len(ids)


# Notifications ---------------------------------------------------------------------------


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "type": "notification",
        "channel": "notifications",
        "id": str(notification.pk),
        "notification_type": notification.type,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "event": notification.event,
        "created_at": notification.created_at.isoformat(),
    }


@transaction.atomic
def notification_create(
    *, actor: Any, recipient: Any, type: str, title: str, body: str = "", data: dict | None = None
) -> Notification:
    """A notification made by staff or an admin for one user (the API checks who may)."""
    notification = Notification.objects.create(
        recipient=recipient, type=type, title=title, body=body, data=data or {}, created_by=actor
    )
    audit_create(actor=actor, instance=notification)
    realtime.push(realtime.user_group(recipient.pk), notification_payload(notification))
    return notification


def event_id_of(event: str, payload: dict[str, Any]) -> UUID:
    """The id ``publish`` gave the event being handled. A call outside an event's
    delivery (or a job queued before events had ids) gets an id derived from the event
    and its payload, so its redeliveries still notify once."""
    raw = current_event_id()
    if raw:
        try:
            return UUID(str(raw))
        except ValueError:
            pass
    content = json.dumps({"event": event, "payload": payload}, sort_keys=True, default=str)
    return uuid5(NAMESPACE_URL, "domus-event:" + hashlib.sha256(content.encode()).hexdigest())


def notify_event(
    *, event: str, payload: dict[str, Any], recipient_ids: list[str], type: str, title: str, body: str = ""
) -> list[Notification]:
    """One notification per recipient of a domain event, at most once per (recipient,
    event id): a redelivered event creates nothing new, a new event with the same
    payload does. Unknown, inactive or malformed recipient ids are skipped."""
    ids: set[UUID] = set()
    for raw in recipient_ids:
        try:
            ids.add(UUID(str(raw)))
        except ValueError:
            continue
    event_id = event_id_of(event, payload)
    created: list[Notification] = []
    for user_id in sorted(_active_users(ids), key=str):
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient_id=user_id,
                    type=type,
                    title=title,
                    body=body,
                    data=payload,
                    event=event,
                    event_id=event_id,
                )
        except IntegrityError:
            continue
        realtime.push(realtime.user_group(user_id), notification_payload(notification))
        created.append(notification)
    return created


def _user_address(channel: str, user: Any, preference: CommunicationPreference | None) -> str:
    if channel == "email":
        return (user.email or "").strip()
    return _address(channel, user, preference)


def notify_outbound(*, notifications: list[Notification], company_id: Any = None) -> list[Delivery]:
    """Send ``notifications`` (just made from a domain event) on NOTIFY_OUTBOUND_CHANNELS
    too: one delivery per recipient and channel through the channel's adapter, as their
    preferences allow. A recipient who turned a channel off, or whose address there is
    opted out, gets nothing on it; one without an address there is skipped; SMS in their
    quiet hours is recorded as refused (the e-mail and the in-app notification still go)."""
    channels = [c for c in settings.NOTIFY_OUTBOUND_CHANNELS if c in ("email", "sms", "whatsapp", "telegram")]
    if not notifications or not channels:
        return []
    users = _active_users({n.recipient_id for n in notifications})
    preferences = preferences_by_user(list(users))
    addresses = {
        (user_id, channel): _user_address(channel, user, preferences.get(user_id))
        for user_id, user in users.items()
        for channel in channels
    }
    opted_out = {
        channel: optout_addresses(
            channel=channel, addresses=[a for (_, c), a in addresses.items() if c == channel and a]
        )
        for channel in channels
    }
    now = timezone.now()
    rows: list[Delivery] = []
    for notification in notifications:
        user_id = notification.recipient_id
        if user_id not in users:
            continue
        preference = preferences.get(user_id)
        for channel in channels:
            address = addresses[(user_id, channel)]
            if not address or normalize_address(channel, address) in opted_out[channel]:
                continue
            if preference is not None and not preference.allows(channel):
                continue
            reason = ""
            if channel != "email" and preference is not None and in_quiet_hours(preference, now):
                start, end = preference.quiet_hours_start, preference.quiet_hours_end
                reason = f"Quiet hours of the recipient ({start:%H:%M}-{end:%H:%M} {preference.timezone})."
            rows.append(
                Delivery(
                    id=uuid7(),
                    company_id=company_id,
                    recipient_id=user_id,
                    channel=channel,
                    address=address,
                    subject=notification.title[:200],
                    body=notification.body or notification.title,
                    status=DeliveryStatus.REFUSED if reason else DeliveryStatus.QUEUED,
                    error=reason,
                )
            )
    if not rows:
        return []
    return _store_and_send(
        rows, event=notifications[0].event, reference=notifications[0].event_id, company_id=company_id
    )


def _store_and_send(rows: list[Delivery], *, event: str, reference: Any, company_id: Any) -> list[Delivery]:
    """Write ``rows`` at once, hand the queued ones to the sending job after commit and
    audit the send as one row for ``event`` (``reference``: what the audit row names)."""
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        queued = [str(row.id) for row in rows if row.status == DeliveryStatus.QUEUED]
        if queued:
            transaction.on_commit(lambda: _enqueue(queued), robust=True)
        audit_record(
            actor=None,
            action="send",
            resource_type=Delivery._meta.label_lower,
            resource_id=reference,
            changes={"event": {"before": None, "after": event}, "deliveries": {"before": None, "after": len(rows)}},
            company_id=company_id,
        )
    return rows


OPTOUT_SALT = "domus.communications.optout"
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})


def optout_token(channel: str, address: str) -> str:
    """The signed token of an opt-out link: who (``address``, normalised) leaves which channel."""
    return signing.dumps([channel, normalize_address(channel, address)], salt=OPTOUT_SALT, compress=True)


def optout_link(channel: str, address: str) -> str:
    base = settings.NOTIFY_LINK_BASE_URL.rstrip("/")
    return f"{base}/api/v1/communications/opt-out/{optout_token(channel, address)}/"


def _contact_body(channel: str, address: str, body: str) -> str:
    """A message to somebody without an account ends with how to get no more: a signed
    opt-out link in an e-mail, "Reply STOP" in a text."""
    if channel == "email":
        return f"{body}\n\n--\nNo more e-mails like this: {optout_link(channel, address)}"
    return f"{body} Reply STOP to opt out."


def notify_contact(
    *, event: str, company_id: Any, email: str, phone: str, subject: str, body: str, reference: Any = None
) -> list[Delivery]:
    """Tell somebody without an account (a public booking's e-mail and phone) of ``event``
    on NOTIFY_OUTBOUND_CHANNELS' e-mail and SMS, through the channels' adapters: one
    delivery per channel with an address, refused when that address opted out (an opt-out
    link, a STOP reply, the desk's opt-out list). They have no preferences, so no quiet
    hours. Each message ends with its opt-out link or "Reply STOP"."""
    phone = (phone or "").strip()
    # A text goes to the number in E.164 (read in PHONE_DEFAULT_REGION), as to a lead.
    addresses = {"email": (email or "").strip(), "sms": normalize_address("sms", phone) if phone else ""}
    channels = [c for c in settings.NOTIFY_OUTBOUND_CHANNELS if addresses.get(c)]
    if not channels:
        return []
    rows = []
    for channel in channels:
        address = addresses[channel]
        opted_out = normalize_address(channel, address) in optout_addresses(channel=channel, addresses=[address])
        rows.append(
            Delivery(
                id=uuid7(),
                company_id=company_id,
                channel=channel,
                address=address,
                subject=subject[:200],
                body=_contact_body(channel, address, body),
                status=DeliveryStatus.REFUSED if opted_out else DeliveryStatus.QUEUED,
                error=f"The address opted out of {channel}." if opted_out else "",
            )
        )
    return _store_and_send(
        rows, event=event, reference=reference if reference is not None else rows[0].id, company_id=company_id
    )


@transaction.atomic
def optout_record(*, channel: str, address: str, reason: str) -> tuple[OptOut, bool]:
    """The recipient's own opt-out (their signed link, a STOP reply): no account and no
    company needed. Answers ``(opt_out, created)``; an address already opted out keeps its
    first record."""
    normalised = normalize_address(channel, address)
    if len(normalised) < 3:
        raise ValidationFailed("Bad address.", errors={"address": ["Not an e-mail, phone number or chat id."]})
    optout, created = OptOut.objects.get_or_create(channel=channel, address=normalised, defaults={"reason": reason})
    if created:
        audit_create(actor=None, instance=optout, company_id=None)
    return optout, created


def optout_from_link(token: str) -> OptOut | None:
    """Follow an opt-out link: ``None`` when its signature does not hold."""
    try:
        channel, address = signing.loads(token, salt=OPTOUT_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if channel not in ("email", "sms") or not isinstance(address, str):
        return None
    return optout_record(channel=channel, address=address, reason="Opt-out link.")[0]


def is_stop_reply(text: str) -> bool:
    """A text whose whole content is a carrier opt-out keyword (STOP, UNSUBSCRIBE, ...)."""
    return text.strip().strip(".!").lower() in STOP_WORDS


@transaction.atomic
def notification_set_read(*, actor: Any, notification: Notification, is_read: bool) -> Notification:
    if notification.is_read != is_read:
        before = audit_snapshot(notification)
        notification.read_at = timezone.now() if is_read else None
        notification.save(update_fields=["read_at", "updated_at"])
        audit_update(actor=actor, instance=notification, before=before)
    return notification


@transaction.atomic
def notification_delete(*, actor: Any, notification: Notification) -> None:
    audit_record(
        actor=actor,
        action="delete",
        resource_type=Notification._meta.label_lower,
        resource_id=notification.pk,
        changes={"title": {"before": notification.title, "after": None}},
    )
    notification.delete()


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of ``actor`` read; answers how many."""
    now = timezone.now()
    count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=now, updated_at=now)
    if count:
        audit_record(
            actor=actor,
            action="mark_all_read",
            resource_type=Notification._meta.label_lower,
            resource_id=actor.pk,
            changes={"notifications_read": {"before": None, "after": count}},
        )
    return count


# Support tickets -------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    subject: str,
    description: str,
    category: str = "",
    priority: str = "normal",
    company_id: UUID | None = None,
) -> SupportTicket:
    """Open a support ticket for ``actor`` with ``company_id`` (or the platform)."""
    from domus.organizations.selectors import company_exists

    if company_id is not None and not company_exists(company_id):
        raise UnknownReference("Unknown company.", errors={"company_id": ["No company with this id."]})
    ticket = SupportTicket.objects.create(
        customer=actor,
        company_id=company_id,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
    )
    audit_create(actor=actor, instance=ticket, company_id=company_id)
    return ticket


@transaction.atomic
def ticket_update(*, actor: Any, ticket: SupportTicket, **fields: Any) -> SupportTicket:
    """Change a ticket: its customer edits subject, description and category while it is
    open; its handlers also priority and status (open/pending)."""
    staff = handles_ticket(actor, ticket)
    if not staff:
        if ticket.customer_id != actor.pk:
            raise PermissionDenied("Only the ticket's customer or its company's staff change it.")
        forbidden = sorted({"priority", "status"} & set(fields))
        if forbidden:
            raise PermissionDenied(f"Only staff change {', '.join(forbidden)}.")
        if ticket.status == TicketStatus.CLOSED:
            raise Conflict("The ticket is closed; reply to reopen it.")
    before = audit_snapshot(ticket)
    for name, value in fields.items():
        setattr(ticket, name, value)
    if ticket.status != TicketStatus.CLOSED:
        ticket.closed_at = None  # staff reopened a closed ticket
    ticket.save()
    audit_update(actor=actor, instance=ticket, before=before, action="update")
    return ticket


@transaction.atomic
def ticket_delete(*, actor: Any, ticket: SupportTicket) -> None:
    """Remove a ticket: its handlers may; its customer only while nobody answered it."""
    if not handles_ticket(actor, ticket):
        if ticket.customer_id != actor.pk:
            raise PermissionDenied("Only the ticket's customer or its company's staff delete it.")
        if ticket.replies.filter(from_staff=True).exists():
            raise Conflict("An answered ticket cannot be deleted; close it instead.")
    audit_record(
        actor=actor,
        action="delete",
        resource_type=SupportTicket._meta.label_lower,
        resource_id=ticket.pk,
        company_id=ticket.company_id,
        changes={"subject": {"before": ticket.subject, "after": None}},
    )
    ticket.delete()


def _ticket_event(ticket: SupportTicket, actor: Any, recipients: set[UUID | None], **extra: Any) -> dict[str, Any]:
    return event_payload(ticket, actor=actor, recipients=recipients, subject=ticket.subject, **extra)


@transaction.atomic
def ticket_reply(*, actor: Any, ticket: SupportTicket, body: str) -> TicketReply:
    """Add to a ticket's thread. A staff answer marks the ticket waiting for the customer
    (and times the first response); staff cannot answer a closed ticket (reopen it
    first); a customer's reply reopens it. The other side is notified (``ticket.replied``):
    the customer, or the assignee, or (unassigned) every handler of the ticket's company,
    or (no company) the platform admins."""
    if not body.strip():
        raise ValidationFailed("A reply needs some text.", errors={"body": ["This field may not be blank."]})
    from_staff = ticket.customer_id != actor.pk
    if from_staff and not handles_ticket(actor, ticket):
        raise PermissionDenied("Only the ticket's customer or its company's staff reply.")
    ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
    if from_staff and ticket.status == TicketStatus.CLOSED:
        raise Conflict("The ticket is closed; set its status to open or pending before replying.")
    reply = TicketReply.objects.create(ticket=ticket, author=actor, body=body, from_staff=from_staff)
    before = audit_snapshot(ticket)
    now = timezone.now()
    if from_staff:
        ticket.status = TicketStatus.PENDING
        ticket.closed_at = None
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        recipients = {ticket.customer_id}
    else:
        ticket.status = TicketStatus.OPEN
        ticket.closed_at = None
        recipients = set(ticket_handler_ids(ticket))
    ticket.save()
    audit_update(actor=actor, instance=ticket, before=before, action="reply")
    publish(TICKET_REPLIED, _ticket_event(ticket, actor, recipients, reply_id=str(reply.pk)))
    return reply


@transaction.atomic
def ticket_assign(*, actor: Any, ticket: SupportTicket, assignee_id: UUID) -> SupportTicket:
    """Give the ticket to a handler of its company (``ticket.assigned`` notifies them)."""
    assignee = active_user(assignee_id)
    if assignee is None or not handles_ticket(assignee, ticket):
        raise ValidationFailed(
            "The assignee must handle this company's tickets.",
            errors={"assignee_id": ["Not a staff member or agent of the ticket's company."]},
        )
    before = audit_snapshot(ticket)
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    audit_update(actor=actor, instance=ticket, before=before, action="assign")
    publish(TICKET_ASSIGNED, _ticket_event(ticket, actor, {assignee.pk}))
    return ticket


@transaction.atomic
def ticket_close(*, actor: Any, ticket: SupportTicket) -> SupportTicket:
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict("The ticket is already closed.")
    before = audit_snapshot(ticket)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = timezone.now()
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    audit_update(actor=actor, instance=ticket, before=before, action="close")
    return ticket


# Preferences -----------------------------------------------------------------------------


@transaction.atomic
def preference_save(
    *, actor: Any, channels: list[str] | None = None, **fields: Any
) -> tuple[CommunicationPreference, bool]:
    """Create or change ``actor``'s communication preferences; answers ``(pref, created)``."""
    preference, created = CommunicationPreference.objects.select_for_update().get_or_create(user=actor)
    before = audit_snapshot(preference)
    if channels is not None:
        for channel in ("email", "sms", "whatsapp", "telegram", "voice"):
            setattr(preference, f"{channel}_enabled", channel in channels)
    for name, value in fields.items():
        if value is None and name not in ("quiet_hours_start", "quiet_hours_end"):
            continue
        setattr(preference, name, value)
    preference.save()
    if created:
        audit_create(actor=actor, instance=preference)
    else:
        audit_update(actor=actor, instance=preference, before=before, action="update")
    return preference, created


def in_quiet_hours(preference: CommunicationPreference, now: datetime) -> bool:
    """Whether ``now`` falls in the preference's quiet hours, in its time zone."""
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is None or end is None:
        return False
    local: time = now.astimezone(ZoneInfo(preference.timezone or "UTC")).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


# Outreach --------------------------------------------------------------------------------


def _address(channel: str, contact: Any, preference: CommunicationPreference | None) -> str:
    if channel == "email":
        return contact.email
    if channel == "telegram":
        return preference.telegram_chat_id if preference else ""
    # Sent in E.164: a number stored as dialled (``00254...``) reaches the same phone.
    return normalize_address(channel, contact.phone)


MISSING_ADDRESS = {
    "email": "The lead has no e-mail address.",
    "telegram": "The lead has no Telegram chat linked.",
}


NO_MARKETING_CONSENT = "The recipient has not consented to marketing messages."
COMPANY_NOT_ACTIVE = "The lead's company is not active: it messages no one outside it."


def _refusal(
    channel: str, contact: Any, address: str, preference, opted_out: set[str], now: datetime, purpose: str
) -> str:
    """Why this lead must not get this message now ('' when it may)."""
    if not address:
        return MISSING_ADDRESS.get(channel, "The lead has no phone number.")
    if normalize_address(channel, address) in opted_out:
        return f"The recipient opted out of {channel}."
    if purpose == PURPOSE_MARKETING and (preference is None or not preference.marketing_consent):
        # Consent is recorded on the recipient's preferences; a lead without an account
        # has given none.
        return NO_MARKETING_CONSENT
    if preference is not None:
        if not preference.allows(channel):
            return f"The recipient opted out of {channel}."
        if in_quiet_hours(preference, now):
            start, end = preference.quiet_hours_start, preference.quiet_hours_end
            return f"Quiet hours of the recipient ({start:%H:%M}-{end:%H:%M} {preference.timezone})."
    return ""


PURPOSE_TRANSACTIONAL = "transactional"
PURPOSE_MARKETING = "marketing"


def outreach_send(
    *,
    actor: Any,
    lead_ids: list[UUID],
    channel: str,
    message: str,
    subject: str = "",
    purpose: str = PURPOSE_TRANSACTIONAL,
    template: dict[str, Any] | None = None,
    missing_is_error: bool = False,
    bodies: dict[UUID, str] | None = None,
    subjects: dict[UUID, str] | None = None,
    templates: dict[UUID, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Queue ``message`` to each lead on ``channel``: one delivery record per recipient,
    refused (with the reason) when the lead has no address on the channel, opted out, is
    in quiet hours or (``purpose="marketing"``) gave no marketing consent; the rest are
    sent by Celery in batches (as the approved ``template`` on WhatsApp when given).
    Leads ``actor`` may not see are answered ``not_found`` (``NotFound`` before anything is
    written with ``missing_is_error``). The send is audited once per company whose leads
    it reached. ``bodies``/``subjects`` give a lead its own text (merge fields already
    filled in); the others get ``message``/``subject``; ``templates`` a lead's own
    ``template`` (an e-mail's ``{"html": ...}`` part). Every guard named in
    ``MESSAGING_SEND_GUARDS`` (the do-not-contact list) may refuse a recipient too.
    Answers the batch and the per-recipient results."""
    from domus.crm.selectors import lead_contacts

    if "\n" in subject or "\r" in subject:
        raise ValidationFailed("Bad subject.", errors={"subject": ["The subject must be one line (no line breaks)."]})
    unique_ids = list(dict.fromkeys(lead_ids))
    if len(unique_ids) > settings.MESSAGING_MAX_BULK_RECIPIENTS:
        raise ValidationFailed(
            "Too many recipients.",
            errors={"lead_ids": [f"At most {settings.MESSAGING_MAX_BULK_RECIPIENTS} leads per request."]},
        )
    contacts = lead_contacts(actor=actor, lead_ids=unique_ids)
    if missing_is_error and len(contacts) < len(unique_ids):
        raise NotFound("Lead not found.")
    preferences = preferences_by_user([c.user_id for c in contacts.values() if c.user_id])
    addresses = {
        lead_id: _address(channel, c, preferences.get(c.user_id) if c.user_id else None)
        for lead_id, c in contacts.items()
    }
    opted_out = optout_addresses(channel=channel, addresses=list(addresses.values()))
    guarded = _guard_refusals(channel, contacts, addresses)
    active = {cid for cid in {c.company_id for c in contacts.values()} if company_is_active(cid)}
    now = timezone.now()
    batch_id = uuid7()
    results: list[dict[str, Any]] = []
    rows: list[Delivery] = []
    for lead_id in unique_ids:
        contact = contacts.get(lead_id)
        if contact is None:
            results.append({"lead_id": lead_id, "delivery_id": None, "status": "not_found", "reason": "No such lead."})
            continue
        preference = preferences.get(contact.user_id) if contact.user_id else None
        reason = (
            _refusal(channel, contact, addresses[lead_id], preference, opted_out, now, purpose)
            if contact.company_id in active
            else COMPANY_NOT_ACTIVE
        ) or guarded.get(lead_id, "")
        row = Delivery(
            id=uuid7(),
            company_id=contact.company_id,
            lead_id=lead_id,
            recipient_id=contact.user_id,
            sent_by=actor,
            batch_id=batch_id,
            channel=channel,
            address=addresses[lead_id],
            subject=(subjects or {}).get(lead_id, subject),
            body=(bodies or {}).get(lead_id, message),
            template=(templates or {}).get(lead_id, template),
            status=DeliveryStatus.REFUSED if reason else DeliveryStatus.QUEUED,
            error=reason,
        )
        rows.append(row)
        results.append({"lead_id": lead_id, "delivery_id": row.id, "status": row.status, "reason": reason})
    batch_size = settings.MESSAGING_BATCH_SIZE
    with transaction.atomic():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            Delivery.objects.bulk_create(chunk)
            queued = [str(r.id) for r in chunk if r.status == DeliveryStatus.QUEUED]
            if queued:
                transaction.on_commit(lambda ids=queued: _enqueue(ids), robust=True)
        for company_id, count in Counter(row.company_id for row in rows).items():
            audit_record(
                actor=actor,
                action="send",
                resource_type=Delivery._meta.label_lower,
                resource_id=batch_id,
                changes={
                    "channel": {"before": None, "after": channel},
                    "purpose": {"before": None, "after": purpose},
                    "recipients": {"before": None, "after": count},
                },
                company_id=company_id,
            )
    queued_count = sum(1 for r in rows if r.status == DeliveryStatus.QUEUED)
    return {
        "batch_id": batch_id,
        "channel": channel,
        "total": len(results),
        "queued": queued_count,
        "refused": len(results) - queued_count,
        "results": results,
    }


def _guard_refusals(channel: str, contacts: dict[UUID, Any], addresses: dict[UUID, str]) -> dict[UUID, str]:
    """Reasons the guards of ``MESSAGING_SEND_GUARDS`` give to refuse some recipients
    (each guard takes ``channel`` and ``recipients``: (lead id, company id, address)
    triples, and answers {lead id: reason})."""
    from django.utils.module_loading import import_string

    recipients = [(lead_id, c.company_id, addresses[lead_id]) for lead_id, c in contacts.items()]
    reasons: dict[UUID, str] = {}
    for path in getattr(settings, "MESSAGING_SEND_GUARDS", ()):
        for lead_id, reason in import_string(path)(channel=channel, recipients=recipients).items():
            reasons.setdefault(lead_id, reason)
    return reasons


def _enqueue(delivery_ids: list[str]) -> None:
    from domus.communications.tasks import deliveries_send

    deliveries_send.delay(delivery_ids)


def delivery_attempt(*, delivery_id: UUID | str, final: bool = False) -> Delivery | None:
    """Send one queued delivery through its channel's adapter and record the outcome.

    The delivery is first claimed (``queued`` -> ``sending`` under a row lock, committed
    before the provider is called), so an overlapping or redelivered task finds nothing
    to send. A retryable failure puts it back to ``queued`` and re-raises ``SendFailed``
    (Celery retries with backoff) unless ``final``, when the delivery is marked failed;
    other failures are final at once. Answers ``None`` when there was nothing to send."""
    from domus.integrations.messaging import SendFailed, adapter_for

    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id, status=DeliveryStatus.QUEUED).first()
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.status = DeliveryStatus.SENDING
        delivery.save(update_fields=["attempts", "status", "updated_at"])
    adapter = adapter_for(delivery.channel)
    try:
        result = adapter.send(
            to=delivery.address, body=delivery.body, subject=delivery.subject, template=delivery.template
        )
    except SendFailed as exc:
        delivery.error = str(exc)[:2000]
        delivery.provider = adapter.name
        if exc.retryable and not final:
            delivery.status = DeliveryStatus.QUEUED
            delivery.save(update_fields=["status", "error", "provider", "updated_at"])
            raise
        delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=["status", "error", "provider", "updated_at"])
        return delivery
    now = timezone.now()
    delivery.provider = result.provider
    delivery.provider_message_id = result.provider_message_id
    delivery.status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.delivered_at = now if result.delivered else None
    delivery.error = ""
    delivery.save()
    return delivery


PROVIDER_STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "completed": DeliveryStatus.DELIVERED,
    "failed": DeliveryStatus.FAILED,
    "undelivered": DeliveryStatus.FAILED,
    "busy": DeliveryStatus.FAILED,
    "no-answer": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


@transaction.atomic
def delivery_status_update(*, provider: str, provider_message_id: str, status: str, error: str = "") -> int:
    """Apply a provider's delivery callback; answers how many deliveries changed. A
    delivered message never goes back to sent."""
    new = PROVIDER_STATUSES.get(status.lower())
    if new is None or not provider_message_id:
        return 0
    queryset = Delivery.objects.filter(provider=provider, provider_message_id=provider_message_id)
    if new == DeliveryStatus.SENT:
        queryset = queryset.filter(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
    else:
        queryset = queryset.exclude(status=DeliveryStatus.DELIVERED)
    changes: dict[str, Any] = {"status": new, "updated_at": timezone.now()}
    if new == DeliveryStatus.DELIVERED:
        changes["delivered_at"] = timezone.now()
    if new == DeliveryStatus.FAILED:
        changes["error"] = error or f"Provider reported {status}."
    return queryset.update(**changes)


def deliveries_requeue_stale(*, older_than_seconds: int | None = None, limit: int = 1000) -> list[str]:
    """Deliveries stuck in ``queued`` or ``sending`` (a lost task, a worker killed
    mid-send) for longer than ``older_than_seconds``: put back to ``queued`` and sent
    again. Answers their ids. A delivery left ``sending`` may have reached the provider
    before its worker died; resending it is the price of never losing one."""
    age = older_than_seconds if older_than_seconds is not None else settings.MESSAGING_STALE_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=age)
    with transaction.atomic():
        stale = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING], updated_at__lt=cutoff)
            .order_by("updated_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not stale:
            return []
        Delivery.objects.filter(pk__in=stale).update(status=DeliveryStatus.QUEUED, updated_at=timezone.now())
        ids = [str(pk) for pk in stale]
        batch_size = settings.MESSAGING_BATCH_SIZE
        for start in range(0, len(ids), batch_size):
            transaction.on_commit(lambda chunk=ids[start : start + batch_size]: _enqueue(chunk), robust=True)
    return ids


def _optout_company(actor: Any, company_id: UUID | None) -> UUID | None:
    companies = company_ids_with_roles(actor, TICKET_HANDLER_ROLES)
    if company_id is not None:
        if company_id not in companies and not is_admin(actor):
            raise UnknownReference("Unknown company.", errors={"company_id": ["Not one of your companies."]})
        return company_id
    return next(iter(companies)) if len(companies) == 1 else None


@transaction.atomic
def optout_add(
    *, actor: Any, channel: str, address: str, reason: str = "", company_id: UUID | None = None
) -> tuple[OptOut, bool]:
    """Record that ``address`` (normalised) must not be contacted on ``channel``; answers
    ``(opt_out, created)``: an address already opted out keeps its first record."""
    normalised = normalize_address(channel, address)
    if len(normalised) < 3:
        raise ValidationFailed("Bad address.", errors={"address": ["Not an e-mail, phone number or chat id."]})
    optout, created = OptOut.objects.get_or_create(
        channel=channel,
        address=normalised,
        defaults={"reason": reason, "created_by": actor, "company_id": _optout_company(actor, company_id)},
    )
    if created:
        audit_create(actor=actor, instance=optout, company_id=optout.company_id)
    return optout, created


@transaction.atomic
def optout_remove(*, actor: Any, optout: OptOut) -> None:
    """Lift an opt-out: the address may be contacted on its channel again."""
    audit_record(
        actor=actor,
        action="delete",
        resource_type=OptOut._meta.label_lower,
        resource_id=optout.pk,
        company_id=optout.company_id,
        changes={
            "address": {"before": optout.address, "after": None},
            "channel": {"before": optout.channel, "after": None},
        },
    )
    optout.delete()
