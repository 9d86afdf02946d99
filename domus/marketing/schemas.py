"""Shapes of the marketing API: segments, campaigns and their metrics, nurturing
sequences, the do-not-contact list and social posts."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator, model_validator

from domus.core.filtering import ListFilters, ordering_of
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr
from domus.core.schemas import FieldErrors, Input, WallClock, check

ChannelName = Literal["email", "sms", "whatsapp", "telegram", "voice"]
LeadStatusName = Literal["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost"]
LeadSourceName = Literal["contact_form", "schedule_call", "listing_inquiry", "import", "manual", "campaign"]
# A location, property type or tag: stored inside a JSON list and matched quoted.
Word = Annotated[str, Field(min_length=1, max_length=100, pattern=r'^[^"\u0000]+$')]
StepId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _valid_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("Unknown time zone (use an IANA name such as Africa/Nairobi).") from None
    return value


# Segments ------------------------------------------------------------------------------


class SegmentRules(Input):
    """Every rule given must hold; a list rule matches any of its values."""

    statuses: list[LeadStatusName] | None = Field(None, max_length=7)
    sources: list[LeadSourceName] | None = Field(None, max_length=6)
    min_score: int | None = Field(None, ge=0, le=100)
    max_score: int | None = Field(None, ge=0, le=100)
    budget_min: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    budget_max: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    locations: list[Word] | None = Field(None, max_length=50)
    property_types: list[Word] | None = Field(None, max_length=20)
    tags: list[Word] | None = Field(None, max_length=50)
    active_within_days: int | None = Field(None, ge=0, le=3650)
    inactive_for_days: int | None = Field(None, ge=0, le=3650)
    assigned_agent_ids: list[UUID] | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _ranges(self) -> "SegmentRules":
        check(
            {
                "min_score": ["Must not be above max_score."]
                if self.min_score is not None and self.max_score is not None and self.min_score > self.max_score
                else [],
                "budget_min": ["Must not be above budget_max."]
                if self.budget_min is not None and self.budget_max is not None and self.budget_min > self.budget_max
                else [],
            }
        )
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class SegmentIn(Input):
    name: str = Field(min_length=1, max_length=200)
    company_id: UUID | None = None
    rules: SegmentRules = Field(default_factory=SegmentRules)


class SegmentPatchIn(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    rules: SegmentRules | None = None


class SegmentPreviewIn(Input):
    company_id: UUID | None = None
    rules: SegmentRules = Field(default_factory=SegmentRules)


class SegmentOut(Schema):
    id: UUID
    company_id: UUID
    name: str
    rules: dict[str, Any]
    member_count: int
    rebuilt_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SegmentCountOut(Schema):
    count: int = Field(description="Leads matching the rules now (evaluated live).")


class SegmentFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "member_count")
    company_id: UUID | None = None


# Campaigns -----------------------------------------------------------------------------


class ChannelContentIn(Input):
    channel: ChannelName
    subject: str = Field("", max_length=200, description="E-mail subject; merge fields allowed.")
    body: str = Field(min_length=1, max_length=5000, description="Text with merge fields ({{ lead.first_name }}).")
    cost: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=4, description="Cost per message sent.")

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("The subject must be one line.")
        return value


class QuietHoursIn(Input):
    start: WallClock
    end: WallClock


CampaignSchedule = Literal["now", "at", "local"]


class CampaignFields(Input):
    description: str = Field("", max_length=5000)
    listing_id: UUID | None = None
    segment_ids: list[UUID] = Field(default_factory=list, max_length=20)
    lead_ids: list[UUID] = Field(default_factory=list, max_length=5000)
    schedule: CampaignSchedule = "now"
    send_at: datetime | None = None
    local_date: date | None = None
    local_time: WallClock | None = None
    timezone: str = Field("UTC", max_length=64, description="For recipients who set none.")
    quiet_hours: dict[ChannelName, QuietHoursIn] = Field(default_factory=dict)
    holidays: list[date] = Field(default_factory=list, max_length=366)
    frequency_cap: int | None = Field(None, ge=1, le=1000, description="Messages per lead within frequency_days.")
    frequency_days: int = Field(7, ge=1, le=365)
    currency: CurrencyCode | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _valid_zone(value)


class CampaignIn(CampaignFields):
    name: str = Field(min_length=1, max_length=200)
    company_id: UUID | None = None
    channels: list[ChannelContentIn] = Field(min_length=1, max_length=5)

    @model_validator(mode="after")
    def _consistent(self) -> "CampaignIn":
        channels = [c.channel for c in self.channels]
        check(
            {
                "channels": ["Each channel once."] if len(set(channels)) != len(channels) else [],
                "send_at": ["Required when schedule is 'at'."] if self.schedule == "at" and not self.send_at else [],
                "local_time": ["Required when schedule is 'local'."]
                if self.schedule == "local" and not (self.local_time and self.local_date)
                else [],
            }
        )
        return self


class CampaignPatchIn(CampaignFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    channels: list[ChannelContentIn] | None = Field(None, min_length=1, max_length=5)


class CampaignMetricsOut(Schema):
    targeted: int = Field(description="Distinct leads with a message of the campaign.")
    messages: int = Field(description="pending + in_flight + sent + failed + refused + skipped.")
    pending: int
    in_flight: int = Field(description="Handed to communications, not yet sent by the provider.")
    sent: int = Field(description="Sent by the provider (delivered included).")
    delivered: int
    failed: int
    refused: int = Field(description="Refused: opt-out, consent, do-not-contact, no address.")
    skipped: int = Field(description="Frequency cap, or no longer visible to the campaign's owner.")
    opened: int = Field(description="Opened by a person (the pixel, or a click), once per message.")
    opened_by_machines: int = Field(
        description="First opened by a mail scanner or a prefetch (not in opened unless a person opened it later)."
    )
    clicked: int
    replied: int
    leads_created: int
    leads_advanced: int
    viewings: int
    offers: int
    cost: MoneyStr
    currency: str


class CampaignOut(Schema):
    id: UUID
    company_id: UUID
    name: str
    description: str
    listing_id: UUID | None
    segment_ids: list[UUID]
    lead_ids: list[UUID]
    channels: list[dict[str, Any]]
    schedule: str
    send_at: datetime | None
    local_date: date | None
    local_time: WallClock | None
    timezone: str
    quiet_hours: dict[str, Any]
    holidays: list[date]
    frequency_cap: int | None
    frequency_days: int
    currency: str
    status: str
    launched_at: datetime | None
    completed_at: datetime | None
    metrics: CampaignMetricsOut
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_segment_ids(obj: Any) -> list[UUID]:
        return [s.pk for s in obj.segments.all()]

    @staticmethod
    def resolve_metrics(obj: Any) -> dict[str, Any]:
        names = [
            "targeted",
            "messages",
            "pending",
            "in_flight",
            "sent",
            "delivered",
            "failed",
            "refused",
            "skipped",
            "opened",
            "opened_by_machines",
            "clicked",
            "replied",
        ]
        metrics = {name: getattr(obj, f"m_{name}", 0) or 0 for name in names}
        metrics.update(
            leads_created=getattr(obj, "m_created", 0) or 0,
            leads_advanced=getattr(obj, "m_advanced", 0) or 0,
            viewings=getattr(obj, "m_viewings", 0) or 0,
            offers=getattr(obj, "m_offers", 0) or 0,
            cost=getattr(obj, "m_cost", None) or Decimal("0"),
            currency=obj.currency,
        )
        return metrics


class CampaignFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "launched_at")
    status: Literal["draft", "scheduled", "running", "paused", "completed", "cancelled"] | None = None
    company_id: UUID | None = None


class TouchOut(Schema):
    id: UUID
    lead_id: UUID
    campaign_id: UUID | None
    sequence_id: UUID | None
    step: str
    channel: str
    status: str
    reason: str
    due_at: datetime
    handed_at: datetime | None
    delivery_id: UUID | None
    delivery_status: str | None
    opened_at: datetime | None
    open_suspect: bool
    clicked_at: datetime | None
    replied_at: datetime | None
    reply: str
    viewing_at: datetime | None
    offer_at: datetime | None

    @staticmethod
    def resolve_sequence_id(obj: Any) -> UUID | None:
        return obj.enrolment.sequence_id if obj.enrolment_id else None

    @staticmethod
    def resolve_delivery_status(obj: Any) -> str | None:
        return obj.delivery.status if obj.delivery_id else None


# Sequences -----------------------------------------------------------------------------

StepType = Literal["wait", "send", "condition", "branch", "task", "end"]
ExitReason = Literal["converted", "viewing", "offer", "reply", "opt_out"]


class ConditionIn(Input):
    """All given must hold."""

    statuses: list[LeadStatusName] | None = Field(None, max_length=7)
    min_score: int | None = Field(None, ge=0, le=100)
    max_score: int | None = Field(None, ge=0, le=100)
    event: Literal["opened", "clicked", "replied", "viewing_booked", "offer_made"] | None = None


class StepIn(Input):
    """One step. ``wait``: ``days``/``hours``/``minutes``, or ``until_weekday`` (0 =
    Monday) and ``until_time``; ``send``: ``channel``, ``subject``, ``body``;
    ``condition``: go on when ``condition`` holds, else end the walk; ``branch``: go to
    ``then`` when ``condition`` holds, else to ``otherwise`` (step ids, later steps only);
    ``task``: tell the lead's agent (``title``, ``note``); ``end``."""

    id: StepId
    type: StepType
    days: int = Field(0, ge=0, le=365)
    hours: int = Field(0, ge=0, le=1000)
    minutes: int = Field(0, ge=0, le=100000)
    until_weekday: int | None = Field(None, ge=0, le=6)
    until_time: WallClock | None = None
    channel: ChannelName | None = None
    subject: str = Field("", max_length=200)
    body: str = Field("", max_length=5000)
    condition: ConditionIn | None = None
    then: StepId | None = None
    otherwise: StepId | None = None
    title: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _complete(self) -> "StepIn":
        problems: dict[str, list[str]] = {}
        if self.type == "send" and (not self.channel or not self.body):
            problems["channel"] = ["A send step needs a channel and a body."]
        if self.type in ("condition", "branch") and self.condition is None:
            problems["condition"] = ["Required for this step."]
        if self.type == "branch" and not (self.then and self.otherwise):
            problems["then"] = ["A branch needs then and otherwise."]
        if self.type == "task" and not self.title:
            problems["title"] = ["A task needs a title."]
        if self.type == "wait" and (self.until_weekday is None) != (self.until_time is None):
            problems["until_time"] = ["Give until_weekday and until_time together."]
        check(problems)
        return self


def _check_steps(steps: list[StepIn]) -> None:
    ids = [s.id for s in steps]
    if len(set(ids)) != len(ids):
        raise FieldErrors({"steps": ["Step ids must be unique."]})
    position = {step_id: i for i, step_id in enumerate(ids)}
    for i, step in enumerate(steps):
        for target in (step.then, step.otherwise):
            if target is not None and position.get(target, -1) <= i:
                raise FieldErrors({"steps": [f"Step {step.id}: {target} is not a later step."]})


class SequenceIn(Input):
    name: str = Field(min_length=1, max_length=200)
    company_id: UUID | None = None
    steps: list[StepIn] = Field(min_length=1, max_length=100)
    enrol_segment_id: UUID | None = None
    enrol_sources: list[LeadSourceName] = Field(default_factory=list, max_length=6)
    reentry_allowed: bool = False
    reentry_cooldown_days: int = Field(0, ge=0, le=3650)
    exit_on: list[ExitReason] = Field(default_factory=lambda: ["converted", "viewing", "offer", "reply", "opt_out"])
    pause_on_conversation: bool = True

    @model_validator(mode="after")
    def _steps(self) -> "SequenceIn":
        _check_steps(self.steps)
        return self


class SequencePatchIn(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    steps: list[StepIn] | None = Field(None, min_length=1, max_length=100)
    enrol_segment_id: UUID | None = None
    enrol_sources: list[LeadSourceName] | None = Field(None, max_length=6)
    reentry_allowed: bool | None = None
    reentry_cooldown_days: int | None = Field(None, ge=0, le=3650)
    exit_on: list[ExitReason] | None = None
    pause_on_conversation: bool | None = None

    @model_validator(mode="after")
    def _steps(self) -> "SequencePatchIn":
        if self.steps is not None:
            _check_steps(self.steps)
        return self


class SequencePauseIn(Input):
    action: Literal["pause", "resume"] = Field("pause", description="Pause (the default) or resume.")
    lead_id: UUID | None = Field(None, description="Only this lead's walk; else the whole sequence.")


class EnrolIn(Input):
    lead_ids: list[UUID] = Field(min_length=1, max_length=1000)


class SequenceOut(Schema):
    id: UUID
    company_id: UUID
    name: str
    steps: list[dict[str, Any]]
    enrol_segment_id: UUID | None
    enrol_sources: list[str]
    reentry_allowed: bool
    reentry_cooldown_days: int
    exit_on: list[str]
    pause_on_conversation: bool
    status: str
    paused_at: datetime | None
    active_count: int = 0
    paused_count: int = 0
    created_at: datetime
    updated_at: datetime


class EnrolmentOut(Schema):
    id: UUID
    sequence_id: UUID
    lead_id: UUID
    status: str
    current_step: str
    due_at: datetime | None
    passed_steps: list[str]
    paused_at: datetime | None
    pause_reason: str
    exit_reason: str
    ended_at: datetime | None
    created_at: datetime


class EnrolResultOut(Schema):
    enrolled: list[UUID]
    refused: dict[str, str]


class SequenceFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at")
    status: Literal["active", "paused", "archived"] | None = None
    company_id: UUID | None = None


# Do-not-contact ------------------------------------------------------------------------


class DoNotContactIn(Input):
    company_id: UUID | None = None
    channel: ChannelName | None = Field(None, description="Leave out for every channel.")
    address: str = Field("", max_length=254)
    lead_id: UUID | None = None
    reason: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _target(self) -> "DoNotContactIn":
        check({"address": ["Give an address or a lead_id."] if not (self.address.strip() or self.lead_id) else []})
        return self


class DoNotContactOut(Schema):
    id: UUID
    company_id: UUID
    channel: str
    address: str
    lead_id: UUID | None
    reason: str
    created_at: datetime


class DoNotContactFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "address")
    channel: str | None = Field(None, max_length=16)
    company_id: UUID | None = None
    lead_id: UUID | None = None


# Social posts --------------------------------------------------------------------------


class SocialPostIn(Input):
    company_id: UUID | None = None
    network: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    text: str = Field("", max_length=5000, description="Generated from the listing when left out.")
    link: str = Field("", max_length=500)
    media: list[str] = Field(default_factory=list, max_length=10)
    listing_id: UUID | None = None
    scheduled_at: datetime | None = Field(None, description="Publish then; leave out to keep a draft.")
    publish_now: bool = False


class SocialPostOut(Schema):
    id: UUID
    company_id: UUID
    network: str
    text: str
    link: str
    media: list[str]
    listing_id: UUID | None
    status: str
    scheduled_at: datetime | None
    published_at: datetime | None
    provider: str
    external_id: str
    attempts: int
    next_attempt_at: datetime | None
    error: str
    created_at: datetime


class SocialFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "scheduled_at", "published_at")
    status: Literal["draft", "scheduled", "published", "failed"] | None = None
    network: str | None = Field(None, max_length=32)
    company_id: UUID | None = None
    listing_id: UUID | None = None


class SocialRuleIn(Input):
    company_id: UUID | None = None
    network: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    trigger: Literal["new_listing", "price_drop"]
    text: str = Field(
        "",
        max_length=5000,
        description="Template with {{ listing.title }}, {{ listing.price }}, {{ listing.city }}, "
        "{{ listing.url }}; left out: made from the listing.",
    )
    active: bool = True


class SocialRuleOut(Schema):
    id: UUID
    company_id: UUID
    network: str
    trigger: str
    text: str
    active: bool
    created_at: datetime


class SocialRuleFilters(ListFilters):
    ordering: str | None = ordering_of("created_at")
    network: str | None = Field(None, max_length=32)
    trigger: Literal["new_listing", "price_drop"] | None = None
    active: bool | None = None
    company_id: UUID | None = None
