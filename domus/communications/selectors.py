"""Reads of communications, scoped to the caller."""

from functools import reduce
from operator import or_
from statistics import median
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Extract

from domus.communications.addresses import normalize_address
from domus.communications.models import (
    CommunicationPreference,
    Conversation,
    ConversationMember,
    Delivery,
    Message,
    MessageRead,
    Notification,
    OptOut,
    SupportTicket,
    TicketPriority,
    TicketStatus,
)
from domus.communications.policies import COMPANY_STAFF_ROLES, TICKET_HANDLER_ROLES, company_ids_with_roles
from domus.communications.schemas import (
    ConversationFilters,
    DeliveryFilters,
    MessageFilters,
    NotificationFilters,
    OptOutFilters,
    TicketFilters,
)
from domus.core.aggregates import Median
from domus.core.exceptions import NotFound, UnknownReference
from domus.core.filtering import filter_list, first_instant, last_instant
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.organizations.selectors import company_member_user_ids

# Conversations and messages --------------------------------------------------------------


def _unread_messages_of(actor: Any) -> QuerySet[Message]:
    read = MessageRead.objects.filter(message=OuterRef("pk"), user=actor)
    return Message.objects.exclude(sender=actor).exclude(Exists(read))


def conversation_visible_to(actor: Any) -> QuerySet[Conversation]:
    member = ConversationMember.objects.filter(conversation=OuterRef("pk"), user=actor)
    return Conversation.objects.filter(Exists(member))


def conversation_is_member(*, user: Any, conversation_id: UUID) -> bool:
    return ConversationMember.objects.filter(conversation_id=conversation_id, user=user).exists()


def conversation_list_for_actor(*, actor: Any, filters: ConversationFilters) -> QuerySet[Conversation]:
    unread = (
        _unread_messages_of(actor)
        .filter(conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = conversation_visible_to(actor).annotate(
        unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))
    )
    queryset = queryset.prefetch_related(
        Prefetch("memberships", queryset=ConversationMember.objects.only("id", "conversation_id", "user_id"))
    )
    queryset = filter_list(
        queryset,
        filters,
        exact_fields=("listing_id", "lead_id", "ticket_id"),
        search_fields=["title"],
        ordering_fields=["created_at", "updated_at", "last_message_at"],
        default_ordering=["-last_message_at", "-created_at", "-id"],
    )
    # Conversations without messages (NULL last_message_at) come last in either direction
    # on every database (PostgreSQL would put NULL first when descending).
    fields = [f.strip() for f in (filters.ordering or "").split(",") if f.strip()] or [
        "-last_message_at",
        "-created_at",
    ]
    order = [F(f[1:]).desc(nulls_last=True) if f.startswith("-") else F(f).asc(nulls_last=True) for f in fields]
    return queryset.order_by(*order, "-id")


def conversation_get_for_actor(*, actor: Any, conversation_id: UUID) -> Conversation:
    """The conversation if ``actor`` is a member; the same 404 otherwise."""
    conversation = (
        conversation_visible_to(actor)
        .prefetch_related(
            Prefetch("memberships", queryset=ConversationMember.objects.only("id", "conversation_id", "user_id"))
        )
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


def conversation_partner_ids(*, actor: Any, user_ids: set[UUID]) -> set[UUID]:
    """Those of ``user_ids`` who already share a conversation with ``actor``."""
    mine = ConversationMember.objects.filter(user=actor).values("conversation_id")
    partners = ConversationMember.objects.filter(conversation_id__in=mine, user_id__in=list(user_ids))
    return set(partners.values_list("user_id", flat=True).distinct())


def conversation_by_key(key: str) -> Conversation | None:
    return Conversation.objects.prefetch_related("memberships").filter(key=key).first()


def message_list_for_actor(*, actor: Any, filters: MessageFilters) -> QuerySet[Message]:
    """Messages of the conversations ``actor`` is a member of, newest first, with
    ``is_read`` for ``actor`` (their own messages count as read)."""
    read = MessageRead.objects.filter(message=OuterRef("pk"), user=actor)
    queryset = Message.objects.filter(
        Exists(ConversationMember.objects.filter(conversation=OuterRef("conversation_id"), user=actor))
    ).annotate(is_read=ExpressionWrapper(Q(sender=actor) | Q(Exists(read)), output_field=BooleanField()))
    if filters.conversation_id is not None:
        queryset = queryset.filter(conversation_id=filters.conversation_id)
    if filters.before_id is not None:
        # Keyset on (created_at, id), the list's order: strictly older than the cursor
        # message, or as old with a smaller id. The cursor's exact time comes from the
        # row (the API shows milliseconds only), so equal timestamps never skip or repeat.
        cursor = queryset.filter(pk=filters.before_id).values_list("created_at", flat=True).first()
        if cursor is None:
            raise UnknownReference("Unknown cursor.", errors={"before_id": ["No message with this id."]})
        queryset = queryset.filter(Q(created_at__lt=cursor) | Q(created_at=cursor, id__lt=filters.before_id))
    elif filters.before is not None:
        queryset = queryset.filter(created_at__lt=first_instant(filters.before))
    if filters.after is not None:
        queryset = queryset.filter(created_at__gt=last_instant(filters.after))
    if filters.unread is not None:
        queryset = queryset.filter(is_read=not filters.unread)
    return filter_list(
        queryset,
        filters,
        search_fields=["body"],
        ordering_fields=["created_at"],
        default_ordering=["-created_at", "-id"],
    )


def message_get_for_actor(*, actor: Any, message_id: UUID) -> Message:
    """A message of one of ``actor``'s conversations; the same 404 otherwise."""
    message = message_list_for_actor(actor=actor, filters=MessageFilters()).filter(pk=message_id).first()
    if message is None:
        raise NotFound("Message not found.")
    return message


def unread_count_for(user: Any) -> int:
    """Messages addressed to ``user`` (in their conversations, from someone else) not read yet."""
    member = ConversationMember.objects.filter(conversation=OuterRef("conversation_id"), user=user)
    return _unread_messages_of(user).filter(Exists(member)).count()


# Notifications ---------------------------------------------------------------------------


def notification_list_for_actor(*, actor: Any, filters: NotificationFilters) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient=actor)
    if filters.is_read is not None:
        queryset = queryset.filter(read_at__isnull=not filters.is_read)
    if filters.type:
        queryset = queryset.filter(type=filters.type)
    return filter_list(
        queryset,
        filters,
        search_fields=["title", "body"],
        ordering_fields=["created_at", "updated_at", "read_at", "type"],
        default_ordering=["-created_at", "-id"],
    )


def notification_get_for_actor(*, actor: Any, notification_id: UUID) -> Notification:
    """A user's own notification (admins may read anyone's); the same 404 otherwise."""
    queryset = Notification.objects.all() if is_admin(actor) else Notification.objects.filter(recipient=actor)
    notification = queryset.filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("Notification not found.")
    return notification


def notification_unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# Support tickets -------------------------------------------------------------------------


def _company_scoped[M: Model](model: type[M], actor: Any, *own_fields: str) -> QuerySet[M]:
    """Every row for admins; otherwise the rows where ``actor`` is one of ``own_fields``,
    and those of the companies where ``actor`` handles tickets (staff, branch heads, agents)."""
    if is_admin(actor):
        return model.objects.all()
    visible = reduce(or_, (Q(**{field: actor}) for field in own_fields))
    company_ids = company_ids_with_roles(actor, TICKET_HANDLER_ROLES)
    if company_ids:
        visible |= Q(company_id__in=company_ids)
    return model.objects.filter(visible)


def ticket_visible_to(actor: Any) -> QuerySet[SupportTicket]:
    """Admins see every ticket; company staff and agents their companies' tickets (and
    the ones assigned to them); customers their own."""
    return _company_scoped(SupportTicket, actor, "customer", "assignee")


def ticket_list_for_actor(*, actor: Any, filters: TicketFilters) -> QuerySet[SupportTicket]:
    queryset = ticket_visible_to(actor)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "priority", "company_id", "assignee_id"),
        search_fields=["subject", "description"],
        ordering_fields=["created_at", "updated_at", "priority", "status"],
        default_ordering=["-created_at", "-id"],
    )


def ticket_get_for_actor(*, actor: Any, ticket_id: UUID) -> SupportTicket:
    ticket = ticket_visible_to(actor).prefetch_related("replies").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_stats_for_actor(*, actor: Any) -> dict[str, Any]:
    """Counts by status and priority, and the median first-response and resolution
    times (seconds) of the tickets ``actor`` handles."""
    queryset = ticket_visible_to(actor) if is_admin(actor) else ticket_visible_to(actor).exclude(customer=actor)
    by_status = dict.fromkeys(TicketStatus.values, 0)
    by_priority = dict.fromkeys(TicketPriority.values, 0)
    for row in queryset.order_by().values("status", "priority").annotate(n=Count("pk")):
        by_status[row["status"]] += row["n"]
        by_priority[row["priority"]] += row["n"]
    first_response, resolution = _ticket_medians(queryset)
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_priority": by_priority,
        "median_first_response_seconds": first_response,
        "median_resolution_seconds": resolution,
    }


def _ticket_medians(queryset: QuerySet[SupportTicket]) -> tuple[float | None, float | None]:
    """Median seconds to the first response and to closing, in the database on
    PostgreSQL; SQLite (no ordered-set aggregates) reads the times."""
    if connection.vendor == "postgresql":
        medians = queryset.order_by().aggregate(
            first=Median(Extract(F("first_response_at") - F("created_at"), "epoch")),
            closed=Median(Extract(F("closed_at") - F("created_at"), "epoch")),
        )
        return medians["first"], medians["closed"]
    times = list(queryset.values_list("created_at", "first_response_at", "closed_at"))
    responses = [(first - created).total_seconds() for created, first, _ in times if first]
    resolutions = [(closed - created).total_seconds() for created, _, closed in times if closed]
    return (median(responses) if responses else None, median(resolutions) if resolutions else None)


# Preferences and deliveries --------------------------------------------------------------


def preference_for(user: Any) -> CommunicationPreference:
    """``user``'s saved preferences, or the unsaved defaults."""
    return CommunicationPreference.objects.filter(user=user).first() or CommunicationPreference(user=user)


def preferences_by_user(user_ids: list[UUID]) -> dict[UUID, CommunicationPreference]:
    return {p.user_id: p for p in CommunicationPreference.objects.filter(user_id__in=user_ids)}


def delivery_visible_to(actor: Any) -> QuerySet[Delivery]:
    """Admins see every delivery; company staff and branch heads their companies'; anyone
    the ones they sent or received, and an agent those to the leads assigned to them (a
    delivery carries a lead's address and the message: another agent's are not theirs)."""
    if is_admin(actor):
        return Delivery.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Delivery.objects.none()
    visible = Q(sent_by=actor) | Q(recipient=actor) | Q(lead__assigned_agent_id=actor.pk)
    company_ids = company_ids_with_roles(actor, COMPANY_STAFF_ROLES)
    if company_ids:
        visible |= Q(company_id__in=company_ids)
    return Delivery.objects.filter(visible)


def delivery_list_for_actor(*, actor: Any, filters: DeliveryFilters, outbox: bool = False) -> QuerySet[Delivery]:
    queryset = delivery_visible_to(actor)
    if outbox:
        queryset = queryset.filter(provider="outbox")
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "channel", "lead_id", "batch_id"),
        search_fields=["address", "body"],
        ordering_fields=["created_at", "updated_at", "status"],
        default_ordering=["-created_at", "-id"],
    )


def optout_addresses(*, channel: str, addresses: list[str]) -> set[str]:
    """The (normalised) ones among ``addresses`` that opted out of ``channel``."""
    normalised = {normalize_address(channel, a) for a in addresses if a}
    if not normalised:
        return set()
    return set(OptOut.objects.filter(channel=channel, address__in=list(normalised)).values_list("address", flat=True))


def optout_visible_to(actor: Any) -> QuerySet[OptOut]:
    """Admins see every opt-out; agents and staff those recorded for their companies or
    by themselves."""
    return _company_scoped(OptOut, actor, "created_by")


def optout_list_for_actor(*, actor: Any, filters: OptOutFilters) -> QuerySet[OptOut]:
    queryset = optout_visible_to(actor)
    if filters.channel is not None:
        queryset = queryset.filter(channel=filters.channel)
    return filter_list(
        queryset,
        filters,
        search_fields=["address", "reason"],
        ordering_fields=["created_at", "address"],
        default_ordering=["-created_at", "-id"],
    )


def optout_get_for_actor(*, actor: Any, optout_id: UUID) -> OptOut:
    optout = optout_visible_to(actor).filter(pk=optout_id).first()
    if optout is None:
        raise NotFound("Opt-out not found.")
    return optout


# Who hears of a ticket -----------------------------------------------------------------


def ticket_handler_ids(ticket: SupportTicket) -> list[UUID]:
    """Who answers ``ticket``: its assignee; unassigned, the active staff, branch heads
    and agents of its company; without a company, the platform admins."""
    if ticket.assignee_id:
        return [ticket.assignee_id]
    users = get_user_model().objects.filter(is_active=True)
    if ticket.company_id:
        users = users.filter(id__in=company_member_user_ids(ticket.company_id, TICKET_HANDLER_ROLES))
    else:
        users = users.filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
    return list(users.order_by("pk").values_list("pk", flat=True).distinct())


# Dashboard -----------------------------------------------------------------------------------


def ticket_kpis(*, company_id: UUID | None) -> dict[str, int]:
    """Live dashboard counter: support tickets not closed (one company, or all with None)."""
    tickets = SupportTicket.objects.exclude(status=TicketStatus.CLOSED)
    if company_id is not None:
        tickets = tickets.filter(company_id=company_id)
    return {"tickets_open": tickets.count()}


def delivery_ids_by_provider_message(provider_message_id: str) -> list[UUID]:
    """The deliveries a provider knows by this message id (what a reply names)."""
    if not provider_message_id:
        return []
    return list(Delivery.objects.filter(provider_message_id=provider_message_id).values_list("id", flat=True)[:10])


def delivery_engagement_rows(*, scope: Any, period: Any, channel: str) -> list[dict[str, Any]]:
    """Deliveries on ``channel`` (``voice``: calls) created during ``period`` in ``scope``
    (an agent's: to their leads or sent by them; owners have none) per status (one query)."""
    rows = (
        Delivery.objects.filter(
            scope.q(agent=("lead__assigned_agent_id", "sent_by_id")), period.q("created_at"), channel=channel
        )
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    return list(rows)
