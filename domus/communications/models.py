"""Conversations, notifications, support tickets, communication preferences and the
delivery record of every outbound message."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from domus.core.models import BaseModel


class Conversation(BaseModel):
    """A thread between two or more users, optionally about a listing, a lead or a ticket.
    ``key`` (members + subject) is unique, so starting the same conversation twice returns
    the first one."""

    key = models.CharField(max_length=64, unique=True, editable=False)
    title = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    listing = models.ForeignKey(
        "properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey(
        "communications.SupportTicket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        # Conversations without messages come last on every database.
        ordering = [F("last_message_at").desc(nulls_last=True), "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class ConversationMember(BaseModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="communications_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "conversation"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(BaseModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["conversation", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="communications_message_body_not_empty")]

    def __str__(self) -> str:
        return self.body[:50]


class MessageRead(models.Model):
    """A read receipt: ``user`` has read ``message``."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="communications_read_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.message_id}"


class Notification(BaseModel):
    """Something a user should know. A notification made from a domain event keeps the
    event and its id: one per (recipient, event id), so a redelivered event notifies
    nobody twice while a genuine repeat (a second failed payment) does notify."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    event = models.CharField(max_length=64, blank=True)
    event_id = models.UUIDField(null=True, blank=True, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        constraints = [
            # NULL event_id (hand-made notifications) never collides.
            models.UniqueConstraint(
                fields=["recipient", "event_id"], name="communications_notification_once_per_event"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Waiting for the customer"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class SupportTicket(BaseModel):
    """A customer's request for help, handled by the staff of ``company`` (or by the
    platform's admins when it has none)."""

    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200)
    description = models.TextField()
    category = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN, db_index=True)
    priority = models.CharField(max_length=16, choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="communications_closed_ticket_has_closed_at",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class TicketReply(BaseModel):
    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    from_staff = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "ticket replies"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    VOICE = "voice", "Voice call"


class CommunicationPreference(BaseModel):
    """How a user wants to be reached: channels opted in, quiet hours (in their time
    zone), language and marketing consent."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    whatsapp_enabled = models.BooleanField(default=False)
    telegram_enabled = models.BooleanField(default=False)
    voice_enabled = models.BooleanField(default=False)
    telegram_chat_id = models.CharField(max_length=64, blank=True)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=16, default="en")
    marketing_consent = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="communications_quiet_hours_both_or_none",
            )
        ]

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    def allows(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_enabled", False))


class OptOut(BaseModel):
    """An address that asked not to be contacted on a channel (a lead without an account,
    or a STOP reply); sends to it are refused."""

    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=254, help_text="Normalised: e-mail lower-cased, phone digits and +.")
    reason = models.CharField(max_length=200, blank=True)
    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="communications_optout_unique")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"


class Delivery(BaseModel):
    """One outbound message to one recipient on one channel, and what became of it."""

    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch_id = models.UUIDField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    template = models.JSONField(
        null=True, blank=True, help_text="WhatsApp: the approved template sent (name, language, parameters)."
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED, db_index=True
    )
    provider = models.CharField(max_length=32, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address} ({self.status})"
