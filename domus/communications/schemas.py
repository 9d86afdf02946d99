"""Shapes of the communications API."""

from datetime import datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

from django.conf import settings
from ninja import Field, Schema
from pydantic import field_validator, model_validator

from domus.communications.models import Channel, DeliveryStatus, TicketPriority, TicketStatus
from domus.core.filtering import DateOrDateTime, ListFilters, ordering_of
from domus.core.schemas import (
    WALL_CLOCK_SCHEMA,
    FieldErrors,
    Input,
    WallClock,
    body_alias,
    stated_time_zones,
    time_zones,
)

ChannelName = Literal["email", "sms", "whatsapp", "telegram", "voice"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("This field may not be blank.")
    return value


# Conversations and messages --------------------------------------------------------------


def _single_user(body: dict[str, Any]) -> dict[str, Any]:
    """The original property backend's clients start a chat with one ``user_id``."""
    if "user_id" in body and "participant_ids" not in body:
        body["participant_ids"] = [body.pop("user_id")]
    return body


class ConversationStartIn(Input):
    participant_ids: list[UUID] = Field(..., min_length=1, max_length=50, description="The other members.")
    title: str = Field("", max_length=200)
    listing_id: UUID | None = None
    lead_id: UUID | None = None
    ticket_id: UUID | None = None
    message: str = Field("", max_length=10000, description="An optional first message.")

    single_user = body_alias(
        _single_user,
        accepts={"user_id": {"type": "string", "format": "uuid", "description": "One other member."}},
        replaces=("participant_ids",),
    )


class ConversationOut(Schema):
    id: UUID
    title: str
    listing_id: UUID | None
    lead_id: UUID | None
    ticket_id: UUID | None
    member_ids: list[UUID]
    unread_count: int = 0
    last_message_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_member_ids(obj: Any) -> list[UUID]:
        return [m.user_id for m in obj.memberships.all()]

    @staticmethod
    def resolve_unread_count(obj: Any) -> int:
        return getattr(obj, "unread_count", 0) or 0


class ConversationFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "last_message_at")
    listing_id: UUID | None = None
    lead_id: UUID | None = None
    ticket_id: UUID | None = None


class MessageIn(Input):
    body: str = Field(..., min_length=1, max_length=10000)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("A message needs some text.")
        return value


class MessageOut(Schema):
    id: UUID
    conversation_id: UUID
    sender_id: UUID | None
    body: str
    is_read: bool = False
    created_at: datetime

    @staticmethod
    def resolve_is_read(obj: Any) -> bool:
        return bool(getattr(obj, "is_read", False))


class MessageFilters(ListFilters):
    ordering: str | None = ordering_of("created_at")
    conversation_id: UUID | None = None
    before: DateOrDateTime | None = Field(None, description="Only messages older than this (a date: that day).")
    before_id: UUID | None = Field(
        None,
        description="Stable cursor: only the messages listed after this one (newest first); pass the id of "
        "the last message of a page. Takes precedence over `before`.",
    )
    after: DateOrDateTime | None = Field(None, description="Only messages newer than this (a date: that day).")
    unread: bool | None = None


class UnreadCountOut(Schema):
    unread_count: int


class ReadReceiptOut(Schema):
    message_id: UUID
    conversation_id: UUID
    marked: int = Field(description="How many messages became read (this one and older unread ones).")


# Notifications ---------------------------------------------------------------------------


class NotificationIn(Input):
    recipient_id: UUID
    type: str = Field("general", min_length=1, max_length=64)
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field("", max_length=5000)
    data: dict[str, Any] = Field(default_factory=dict)


class NotificationUpdateIn(Input):
    is_read: bool


class NotificationOut(Schema):
    id: UUID
    recipient_id: UUID
    type: str
    title: str
    body: str
    data: dict[str, Any]
    event: str
    is_read: bool
    read_at: datetime | None
    created_at: datetime


class NotificationFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "read_at", "type")
    is_read: bool | None = None
    type: str | None = Field(None, max_length=64)


class MarkAllReadOut(Schema):
    marked: int


# Support tickets -------------------------------------------------------------------------


class TicketIn(Input):
    subject: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=10000)
    category: str = Field("", max_length=50)
    priority: TicketPriority = TicketPriority.NORMAL
    company_id: UUID | None = Field(None, description="The company asked for help (none: the platform).")


class TicketUpdateIn(Input):
    subject: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=10000)
    category: str | None = Field(None, max_length=50)
    priority: TicketPriority | None = None
    status: Literal["open", "pending"] | None = Field(None, description="Staff only; close with close/.")


class TicketReplyIn(Input):
    body: str = Field(..., min_length=1, max_length=10000)

    _body_not_blank = field_validator("body")(_not_blank)


class TicketAssignIn(Input):
    assignee_id: UUID | None = Field(None, description="Defaults to the caller.")


class TicketReplyOut(Schema):
    id: UUID
    author_id: UUID | None
    body: str
    from_staff: bool
    created_at: datetime


class TicketOut(Schema):
    id: UUID
    company_id: UUID | None
    customer_id: UUID
    assignee_id: UUID | None
    subject: str
    description: str
    category: str
    status: TicketStatus
    priority: TicketPriority
    first_response_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TicketDetailOut(TicketOut):
    replies: list[TicketReplyOut]

    @staticmethod
    def resolve_replies(obj: Any) -> list[Any]:
        return list(obj.replies.all())


class TicketFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "priority", "status")
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    company_id: UUID | None = None
    assignee_id: UUID | None = None


class TicketStatsOut(Schema):
    total: int
    by_status: dict[str, int]
    by_priority: dict[str, int]
    median_first_response_seconds: float | None
    median_resolution_seconds: float | None


# Preferences and outreach ----------------------------------------------------------------


class PreferenceIn(Input):
    channels: list[ChannelName] | None = Field(None, description="The channels opted in; the rest are opted out.")
    telegram_chat_id: str | None = Field(None, max_length=64)
    # Checked below with a message that names the zone field.
    quiet_hours_start: Annotated[time, WALL_CLOCK_SCHEMA] | None = None
    quiet_hours_end: Annotated[time, WALL_CLOCK_SCHEMA] | None = None
    timezone: str | None = Field(None, max_length=64, json_schema_extra={"enum": stated_time_zones()})
    language: str | None = Field(None, min_length=2, max_length=16)
    marketing_consent: bool | None = None

    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _wall_clock(cls, value: time | None) -> time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("Give a local time without a UTC offset (HH:MM); set the zone in `timezone`.")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in time_zones():
            raise ValueError("Unknown time zone (use an IANA name such as Africa/Nairobi).")
        return value

    @model_validator(mode="after")
    def _quiet_hours_pair(self) -> "PreferenceIn":
        fields = self.model_fields_set
        missing = {"quiet_hours_start", "quiet_hours_end"} - fields
        if len(missing) == 1:
            raise FieldErrors({missing.pop(): ["Give quiet_hours_start and quiet_hours_end together."]})
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            null = "quiet_hours_start" if self.quiet_hours_start is None else "quiet_hours_end"
            raise FieldErrors({null: ["quiet_hours_start and quiet_hours_end are both set or both null."]})
        if self.quiet_hours_start is not None and self.quiet_hours_start == self.quiet_hours_end:
            raise FieldErrors({"quiet_hours_end": ["Quiet hours must not start and end at the same time."]})
        return self


class PreferenceOut(Schema):
    channels: list[str]
    telegram_chat_id: str
    quiet_hours_start: WallClock | None
    quiet_hours_end: WallClock | None
    timezone: str
    language: str
    marketing_consent: bool
    updated_at: datetime | None

    @staticmethod
    def resolve_channels(obj: Any) -> list[str]:
        return [c for c in Channel.values if obj.allows(c)]

    @staticmethod
    def resolve_updated_at(obj: Any) -> datetime | None:
        return obj.updated_at if obj.pk and not obj._state.adding else None


Purpose = Literal["transactional", "marketing"]


class WhatsAppTemplateIn(Input):
    """An approved WhatsApp message template: the only kind of message WhatsApp delivers
    to someone who has not written to the business in the last 24 hours."""

    name: str = Field(..., pattern=r"^[a-z0-9_]{1,512}$", description="The template's name, as approved at Meta.")
    language: str = Field("en_US", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", description="Its language code.")
    parameters: list[str] = Field(
        default_factory=list, max_length=20, description="The body's {{1}}, {{2}}, ... in order."
    )


class SendIn(Input):
    message: str = Field(
        ..., min_length=1, max_length=4000, description="The text; with a WhatsApp template, what it says (kept)."
    )
    channel: Channel
    subject: str = Field("", max_length=200, description="E-mail only; one line.")
    purpose: Purpose = Field(
        "transactional",
        description="marketing: sent only to recipients who gave marketing consent (the rest are refused).",
    )
    template: WhatsAppTemplateIn | None = Field(None, description="WhatsApp only: send this approved template.")

    _message_not_blank = field_validator("message")(_not_blank)

    @model_validator(mode="after")
    def _template_is_whatsapp(self) -> "SendIn":
        if self.template is not None and self.channel != "whatsapp":
            raise FieldErrors({"template": ["Only the whatsapp channel sends templates."]})
        return self

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("The subject must be one line (no line breaks).")
        return value


class BulkSendIn(SendIn):
    lead_ids: list[UUID] = Field(..., min_length=1, max_length=settings.MESSAGING_MAX_BULK_RECIPIENTS)


class RecipientResultOut(Schema):
    lead_id: UUID
    delivery_id: UUID | None
    status: str
    reason: str = ""


class SendOut(Schema):
    batch_id: UUID
    channel: Channel
    total: int
    queued: int
    refused: int
    results: list[RecipientResultOut]


class DeliveryOut(Schema):
    id: UUID
    batch_id: UUID | None
    lead_id: UUID | None
    recipient_id: UUID | None
    company_id: UUID | None
    channel: Channel
    address: str
    subject: str
    body: str
    template: dict[str, Any] | None = None
    status: DeliveryStatus
    provider: str
    provider_message_id: str
    error: str
    attempts: int
    sent_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "status")
    status: DeliveryStatus | None = None
    channel: Channel | None = None
    lead_id: UUID | None = None
    batch_id: UUID | None = None


class OptOutIn(Input):
    channel: Channel
    address: str = Field(
        ...,
        min_length=3,
        max_length=254,
        description="The e-mail, phone number or chat id (stored normalised: e-mail lower-cased, phone numbers "
        "without spaces, dashes or parentheses).",
    )
    reason: str = Field("", max_length=200)
    company_id: UUID | None = Field(None, description="The company recording it (default: the caller's only one).")


class OptOutOut(Schema):
    id: UUID
    channel: Channel
    address: str
    reason: str
    company_id: UUID | None
    created_by_id: UUID | None
    created_at: datetime


class OptOutFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "address")
    channel: Channel | None = None
