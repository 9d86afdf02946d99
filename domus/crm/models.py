"""Clients, leads with explainable scoring, public lead capture and pipeline stats."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from domus.core.models import BaseModel, SoftDeleteModel
from domus.core.money import currency_field, money_field


class ClientKind(models.TextChoices):
    PERSON = "person", "Person"
    COMPANY = "company", "Company"


class Client(SoftDeleteModel):
    """A person or organisation an agency works for, with what they are looking for."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="crm_clients")
    kind = models.CharField(max_length=10, choices=ClientKind.choices, default=ClientKind.PERSON)
    name = models.CharField(max_length=200)
    organization_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_client_records"
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_clients"
    )
    budget_min = money_field(null=True, blank=True)
    budget_max = money_field(null=True, blank=True)
    currency = currency_field()
    locations = models.JSONField(default=list, blank=True)
    property_types = models.JSONField(default=list, blank=True)
    bedrooms_min = models.PositiveSmallIntegerField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)

    class Meta(SoftDeleteModel.Meta):
        indexes = [models.Index(fields=["company", "-created_at"], name="client_company_created")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ClientKind.values), name="client_kind_valid"),
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="client_budget_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LeadSource(models.TextChoices):
    CONTACT_FORM = "contact_form", "Contact form"
    SCHEDULE_CALL = "schedule_call", "Schedule a call"
    LISTING_INQUIRY = "listing_inquiry", "Listing inquiry"
    IMPORT = "import", "Import"
    MANUAL = "manual", "Manual"
    CAMPAIGN = "campaign", "Campaign"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


# The pipeline order; ``Lead.stage_reached`` stores the furthest index a lead got to, so the
# funnel counts leads that passed a stage even after they moved on (or were lost).
LEAD_STAGES: tuple[str, ...] = (
    LeadStatus.NEW,
    LeadStatus.CONTACTED,
    LeadStatus.QUALIFIED,
    LeadStatus.PROPOSAL,
    LeadStatus.NEGOTIATION,
    LeadStatus.WON,
)


class Lead(BaseModel):
    """A prospect a company may turn into a client, scored 0-100 with its reasons."""

    # The narrow company index answers the list's count(*) fastest; the agent leads composites.
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="crm_leads")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=LeadSource.choices, default=LeadSource.MANUAL)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    lost_reason = models.CharField(max_length=255, blank=True)
    stage_reached = models.PositiveSmallIntegerField(default=0, help_text="Index in LEAD_STAGES.")
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_leads",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_lead_records"
    )
    listing = models.ForeignKey(
        "properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_leads"
    )
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    budget_min = money_field(null=True, blank=True)
    budget_max = money_field(null=True, blank=True)
    preferred_call_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(default=0)
    score_breakdown = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    activity_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    merged_count = models.PositiveIntegerField(default=0, help_text="Captures merged into this lead.")

    class Meta(BaseModel.Meta):
        indexes = [
            # Lists order by "-score" (or "-created_at") then "-id", scoped by company (staff) or
            # agent, often filtered by status, source or agent: these serve the page and let the
            # pagination's count be an index-only scan (bench/crm/README.md).
            models.Index(fields=["company", "-score", "-id"], name="lead_company_score"),
            models.Index(fields=["company", "status", "-score", "-id"], name="lead_company_status_score"),
            # For counts only: status + source or date filters answered from the index alone.
            models.Index(fields=["company", "status", "source", "created_at"], name="lead_company_status_source"),
            models.Index(fields=["company", "source", "-score", "-id"], name="lead_company_source_score"),
            models.Index(fields=["company", "assigned_agent", "-score", "-id"], name="lead_company_agent_score"),
            models.Index(fields=["company", "-created_at", "-id"], name="lead_company_created"),
            models.Index(fields=["assigned_agent", "-score", "-id"], name="lead_agent_score"),
            models.Index(fields=["assigned_agent", "status", "-score", "-id"], name="lead_agent_status_score"),
            models.Index(fields=["company", "email"], name="lead_company_email"),
            models.Index(fields=["company", "phone"], name="lead_company_phone"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="lead_score_range"),
            models.CheckConstraint(condition=Q(status__in=LeadStatus.values), name="lead_status_valid"),
            models.CheckConstraint(condition=Q(source__in=LeadSource.values), name="lead_source_valid"),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.LOST) | ~Q(lost_reason=""), name="lead_lost_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class LeadActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    VIEWING = "viewing", "Viewing"
    FORM = "form", "Form submission"
    STATUS = "status", "Status change"


class LeadActivity(BaseModel):
    """Something that happened with a lead; engagement feeds the score."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=LeadActivityKind.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        verbose_name_plural = "lead activities"
        indexes = [models.Index(fields=["lead", "-created_at"], name="lead_activity_lead_created")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LeadActivityKind.values), name="lead_activity_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.lead_id}"


class AssignmentCursor(models.Model):
    """The agent who got a company's last round-robin lead (one row per company, locked
    while choosing the next)."""

    company = models.OneToOneField("organizations.Company", on_delete=models.CASCADE, related_name="+")
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"round-robin of {self.company_id}"
