"""Segments, campaigns, nurturing sequences, the do-not-contact list, the touches
(one message to one lead on one channel at one step) and social posts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from domus.core.models import BaseModel
from domus.core.money import currency_field, money_field

CHANNELS = ("email", "sms", "whatsapp", "telegram", "voice")
CHANNEL_CHOICES = [(c, c) for c in CHANNELS]


class Segment(BaseModel):
    """A saved filter over a company's leads (and the clients they belong to); its members
    are kept up to date lead by lead as leads change, and rebuilt nightly."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    rules = models.JSONField(default=dict, blank=True)
    member_count = models.PositiveIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="segment_company_created")]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """A lead that matches a segment's rules, since ``entered_at``."""

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "lead"], name="segment_member_unique")]
        indexes = [models.Index(fields=["lead"], name="segment_member_lead")]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.segment_id}"


class DoNotContact(BaseModel):
    """An address (or a whole lead) of a company that no campaign, sequence or one-off
    send may reach: on one channel, or on every channel when ``channel`` is blank."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, blank=True, help_text="Blank: every channel.")
    address = models.CharField(max_length=254, blank=True, help_text="Normalised e-mail, phone or chat id.")
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = "do-not-contact entry"
        verbose_name_plural = "do-not-contact list"
        constraints = [
            models.CheckConstraint(condition=~Q(address="") | Q(lead__isnull=False), name="dnc_address_or_lead"),
            models.UniqueConstraint(
                fields=["company", "channel", "address"], condition=~Q(address=""), name="dnc_address_unique"
            ),
            models.UniqueConstraint(
                fields=["company", "channel", "lead"], condition=Q(lead__isnull=False), name="dnc_lead_unique"
            ),
        ]
        indexes = [models.Index(fields=["address"], name="dnc_address")]

    def __str__(self) -> str:
        return f"{self.channel or 'all'}:{self.address or self.lead_id}"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class ScheduleKind(models.TextChoices):
    NOW = "now", "Start now"
    AT = "at", "At a time"
    LOCAL = "local", "At a time of day in each recipient's time zone"


class Campaign(BaseModel):
    """Messages to an audience (segments and/or listed leads) over a mix of channels."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    listing = models.ForeignKey(
        "properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    segments = models.ManyToManyField(Segment, blank=True, related_name="campaigns")
    lead_ids = models.JSONField(default=list, blank=True, help_text="Leads targeted besides the segments.")
    channels = models.JSONField(default=list, help_text="[{channel, subject, body, cost}]")
    schedule = models.CharField(max_length=8, choices=ScheduleKind.choices, default=ScheduleKind.NOW)
    send_at = models.DateTimeField(null=True, blank=True)
    local_date = models.DateField(null=True, blank=True)
    local_time = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="For recipients without their own.")
    quiet_hours = models.JSONField(default=dict, blank=True, help_text="{channel: {start, end}} in local time.")
    holidays = models.JSONField(default=list, blank=True, help_text="Dates (local) with no sends.")
    frequency_cap = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency_days = models.PositiveSmallIntegerField(default=7)
    currency = currency_field()
    status = models.CharField(max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    launched_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="campaign_company_created")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid")
        ]

    def __str__(self) -> str:
        return self.name


class SequenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class Sequence(BaseModel):
    """A nurturing sequence: steps a lead walks through, one at a time."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    steps = models.JSONField(default=list, help_text="[{id, type, ...}]; ids stay stable across edits.")
    enrol_segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrol_sources = models.JSONField(default=list, blank=True, help_text="Lead sources enrolled on capture.")
    reentry_allowed = models.BooleanField(default=False)
    reentry_cooldown_days = models.PositiveSmallIntegerField(default=0)
    exit_on = models.JSONField(default=list, blank=True, help_text="converted, viewing, offer, reply, opt_out.")
    pause_on_conversation = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=SequenceStatus.choices, default=SequenceStatus.ACTIVE)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="sequence_company_created")]

    def __str__(self) -> str:
        return self.name


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    EXITED = "exited", "Exited"


class Enrolment(BaseModel):
    """One walk of one lead through a sequence: the step it is on, when that step is due,
    and the steps it has passed (never run again, whatever edits come)."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrolments")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    current_step = models.CharField(max_length=64, blank=True)
    waiting = models.BooleanField(default=False, help_text="The current wait step has started.")
    due_at = models.DateTimeField(null=True, blank=True)
    passed_steps = models.JSONField(default=list, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open walk per lead and sequence; finished ones stay as history.
            models.UniqueConstraint(
                fields=["sequence", "lead"],
                condition=Q(status__in=["active", "paused"]),
                name="enrolment_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="enrolment_status_due"),
            models.Index(fields=["lead", "status"], name="enrolment_lead_status"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.sequence_id} ({self.status})"


class TouchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Handed to communications"
    REFUSED = "refused", "Refused"
    SKIPPED = "skipped", "Skipped"


class Touch(BaseModel):
    """One message to one lead on one channel at one step of a campaign or a sequence.
    The row is unique per (campaign, lead, step, channel) and per (enrolment, step,
    channel), and is claimed in the same transaction that hands it to the communications
    service: a relaunch after a crash finds it handed over and sends nothing twice.

    A campaign writes hundreds of thousands of these at once, so the table keeps only the
    indexes its reads need (four written per new campaign touch): the primary key, the two
    uniqueness rules (which also serve lookups by campaign and by enrolment), the pending
    touches of a campaign by due time (partial: a handed-over touch leaves it), and a
    lead's touches by hand-over time (history, frequency caps). Foreign keys get no index
    of their own; the delivery's is partial (only handed-over touches have one)."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Real foreign keys: their checks at commit cost about half of a fan-out's time (three
    # trigger calls and key-share row locks a touch), which 500,000 touches still pay well
    # inside the target (bench/marketing/README.md), and no touch can outlive its lead.
    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+", db_index=False)
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="touches", db_index=False
    )
    enrolment = models.ForeignKey(
        Enrolment, null=True, blank=True, on_delete=models.CASCADE, related_name="touches", db_index=False
    )
    step = models.CharField(max_length=64, default="main")
    channel = models.CharField(max_length=16, choices=CHANNEL_CHOICES)
    status = models.CharField(max_length=10, choices=TouchStatus.choices, default=TouchStatus.PENDING)
    due_at = models.DateTimeField()
    handed_at = models.DateTimeField(null=True, blank=True)
    delivery = models.ForeignKey(
        "communications.Delivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    reason = models.CharField(max_length=300, blank=True)
    cost = money_field(null=True, blank=True)
    stage_at_send = models.PositiveSmallIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    open_suspect = models.BooleanField(
        default=False, help_text="The first open looked like a mail scanner or a prefetch, not a person."
    )
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True, help_text="The first reply received to this message (inbound).")
    viewing_at = models.DateTimeField(null=True, blank=True)
    offer_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "lead", "step", "channel"],
                condition=Q(campaign__isnull=False),
                name="touch_once_per_campaign_step",
            ),
            models.UniqueConstraint(
                fields=["enrolment", "step", "channel"],
                condition=Q(enrolment__isnull=False),
                name="touch_once_per_enrolment_step",
            ),
            models.CheckConstraint(condition=Q(status__in=TouchStatus.values), name="touch_status_valid"),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "due_at"], condition=Q(status="pending"), name="touch_campaign_pending_due"
            ),
            models.Index(fields=["lead", "handed_at"], name="touch_lead_handed"),
            models.Index(fields=["delivery"], condition=Q(delivery__isnull=False), name="touch_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.lead_id} ({self.status})"


class SocialStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


class SocialPost(BaseModel):
    """A post to one social network, drafted, scheduled or published (with its errors)."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=32)
    text = models.TextField()
    link = models.URLField(max_length=500, blank=True)
    media = models.JSONField(default=list, blank=True)
    listing = models.ForeignKey(
        "properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=SocialStatus.choices, default=SocialStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    rule = models.ForeignKey(
        "marketing.SocialRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    event_key = models.CharField(max_length=200, blank=True, help_text="The event a rule posted for.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="social_company_created"),
            models.Index(fields=["status", "next_attempt_at"], name="social_status_next"),
        ]
        constraints = [
            # A rule posts once per listing and event, however often the event is delivered.
            models.UniqueConstraint(
                fields=["rule", "listing", "event_key"],
                condition=Q(rule__isnull=False),
                name="social_post_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.text[:40]}"


class SocialTrigger(models.TextChoices):
    NEW_LISTING = "new_listing", "A listing goes on the market"
    PRICE_DROP = "price_drop", "A listing's price drops"


class SocialRule(BaseModel):
    """Post to a network when one of the company's listings goes on the market or its
    price drops: the post is made from the listing (or ``text``, with listing merge
    fields) and published through the network's adapter."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=32)
    trigger = models.CharField(max_length=16, choices=SocialTrigger.choices)
    text = models.TextField(blank=True, help_text="Template; blank: made from the listing.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "trigger"], name="social_rule_company_trigger")]

    def __str__(self) -> str:
        return f"{self.network} on {self.trigger}"
