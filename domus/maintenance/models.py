"""Maintenance: issue presets and "other" issues, booking questions, work orders (the
back office's bookings) with their status moves and answers, vendors, and the parts a job
reserves from stock.

On PostgreSQL an exclusion constraint (migration 0001,
``maintenance_no_double_booked_technician``) forbids one technician two overlapping
scheduled visits of open work orders."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from domus.core.models import BaseModel


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    EMERGENCY = "emergency", "Emergency"


class WorkOrderStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    TRIAGED = "triaged", "Triaged"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting owner approval"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    WORK_DONE = "work_done", "Work done"
    READY_TO_BILL = "ready_to_bill", "Ready to bill"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


class QuestionKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    CHOICE = "choice", "Choice"
    YES_NO = "yes_no", "Yes/no"
    PHOTO = "photo", "Photo"


class VendorStatus(models.TextChoices):
    NONE = "", "Not assigned to a vendor"
    PENDING = "pending", "Waiting for the vendor"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class IssuePreset(BaseModel):
    """A kind of repair the public can book (the back office's "issues")."""

    name = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    default_priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    typical_parts = models.JSONField(default=list, blank=True, help_text='[{"part_id": ..., "quantity": "1"}]')
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OtherIssue(BaseModel):
    """A free-text kind of problem outside the presets (the back office's "otherissues")."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(BaseModel):
    """A question asked on booking; ``issue`` empty asks it for every booking. An answer
    equal to ``emergency_answer`` makes the work order an emergency."""

    issue = models.ForeignKey(IssuePreset, null=True, blank=True, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    emergency_answer = models.CharField(max_length=200, blank=True)
    # Asked only when an earlier question (a lower position) was answered ``show_if_answer``.
    show_if_question = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependents"
    )
    show_if_answer = models.CharField(max_length=200, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return self.text


class Vendor(BaseModel):
    """An outside contractor of a company; ``user`` signs in to see its work orders."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="vendors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="vendor_profiles"
    )
    name = models.CharField(max_length=200)
    trade = models.CharField(max_length=100, blank=True)
    coverage_area = models.CharField(max_length=200, blank=True)
    hourly_rate = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="KES")
    insurance_expires_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


OPEN_STATUSES = (WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS)


class WorkOrder(BaseModel):
    """A repair request (the back office's "bookings"), public or from a signed-in tenant."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="work_orders")
    branch = models.ForeignKey(
        "organizations.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    issue = models.ForeignKey(IssuePreset, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders")
    other_issue = models.ForeignKey(
        OtherIssue, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    lease = models.ForeignKey("leasing.Lease", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    listing = models.ForeignKey(
        "properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    unit = models.ForeignKey("properties.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    preferred_date = models.DateField(null=True, blank=True)
    preferred_time = models.TimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.REQUESTED)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    reopen_count = models.PositiveIntegerField(default=0)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_work_orders"
    )
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders")
    vendor_status = models.CharField(max_length=10, choices=VendorStatus.choices, default=VendorStatus.NONE, blank=True)
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
        help_text="An earlier job on the same unit and issue within MAINTENANCE_REPEAT_DAYS.",
    )
    sla_paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while waiting on the owner.")
    sla_alerted_at = models.DateTimeField(null=True, blank=True)
    permission_to_enter = models.BooleanField(
        default=False, help_text="The tenant lets the technician in while nobody is home."
    )
    preferred_slots = models.JSONField(
        default=list, blank=True, help_text='When the tenant can let someone in: [{"start": ..., "end": ...}] (UTC).'
    )
    typical_parts_added = models.BooleanField(
        default=False, help_text="The issue preset's typical parts were added (once per work order)."
    )

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["company", "status", "-created_at"], name="workorder_company_status"),
            models.Index(fields=["resolve_due_at"], name="workorder_resolve_due"),
            models.Index(fields=["unit", "-created_at"], name="workorder_unit_recent"),
            # The desk's list (newest first) and its overdue list (open, not waiting on the owner).
            models.Index(fields=["company", "-created_at", "-id"], name="workorder_company_recent"),
            models.Index(
                fields=["company", "resolve_due_at"],
                name="workorder_company_overdue",
                condition=Q(
                    status__in=["requested", "triaged", "awaiting_approval", "scheduled", "in_progress"],
                    sla_paused_at__isnull=True,
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=WorkOrderStatus.values), name="workorder_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="workorder_priority_valid"),
            models.CheckConstraint(
                condition=Q(scheduled_start__isnull=True)
                | Q(scheduled_end__isnull=True)
                | Q(scheduled_end__gt=F("scheduled_start")),
                name="workorder_schedule_ordered",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="workorder_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"Work order {self.id} ({self.status})"


class Transition(models.Model):
    """One move of a work order's status: who, when, why."""

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class Response(BaseModel):
    """An answer to a booking question for one work order."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    value = models.CharField(max_length=2000)
    # A photo question's answer (``value`` is then the photo's id).
    photo = models.ForeignKey("WorkOrderPhoto", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["work_order", "question"], name="response_one_per_question"),
        ]


class PartStatus(models.TextChoices):
    WANTED = "wanted", "Wanted"
    RESERVED = "reserved", "Reserved"
    ISSUED = "issued", "Issued"
    RELEASED = "released", "Released"


class WorkOrderPart(BaseModel):
    """A spare part a job needs: reserved when scheduled, issued when used, released if not."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    part = models.ForeignKey("inventory.SparePart", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    issued = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    reservation = models.ForeignKey(
        "inventory.Reservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=PartStatus.choices, default=PartStatus.WANTED)
    from_preset = models.BooleanField(default=False, help_text="Proposed from the issue preset's typical parts.")

    class Meta(BaseModel.Meta):
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="workorder_part_positive")]


# Billing, owner approval, preventive schedules, photos, service hours -------------------


class Cause(models.TextChoices):
    WEAR_AND_TEAR = "wear_and_tear", "Wear and tear (the owner pays)"
    TENANT_DAMAGE = "tenant_damage", "Damage by the tenant (charged back)"
    WARRANTY = "warranty", "Under warranty (the company absorbs it)"
    PREVENTIVE = "preventive", "Preventive maintenance (the owner pays)"


class Payer(models.TextChoices):
    TENANT = "tenant", "The tenant (a chargeback invoice)"
    OWNER = "owner", "The owner (an expense on their statement)"
    COMPANY = "company", "The company"


class ApprovalStatus(models.TextChoices):
    NONE = "", "Not needed yet"
    PENDING = "pending", "Waiting for the owner"
    APPROVED = "approved", "Approved by the owner"
    DECLINED = "declined", "Declined by the owner"


class WorkOrderCosting(models.Model):
    """What a job costs and who pays it: decided on the work order, billed on close."""

    work_order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, primary_key=True, related_name="costing")
    cause = models.CharField(max_length=16, choices=Cause.choices, default=Cause.WEAR_AND_TEAR)
    payer = models.CharField(max_length=8, choices=Payer.choices, blank=True, help_text="Empty: by the cause.")
    labour_hours = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    labour_rate = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    vendor_invoice_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    vendor_invoice_reference = models.CharField(max_length=100, blank=True)
    estimate_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    estimate_note = models.TextField(blank=True)
    approval_status = models.CharField(max_length=8, choices=ApprovalStatus.choices, default="", blank=True)
    approval_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(labour_hours__gte=0, vendor_invoice_amount__gte=0), name="workorder_costing_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Costs of {self.work_order_id}"


class WorkOrderCharge(models.Model):
    """The bill raised when a job closes: at most one per work order (the primary key is the
    work order), so closing twice, or racing closes, never bills twice."""

    work_order = models.OneToOneField(WorkOrder, on_delete=models.PROTECT, primary_key=True, related_name="charge")
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+")
    payer = models.CharField(max_length=8, choices=Payer.choices)
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3)
    labour = models.DecimalField(max_digits=14, decimal_places=2)
    parts = models.DecimalField(max_digits=14, decimal_places=2)
    vendor = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    invoice_id = models.UUIDField(null=True, blank=True, help_text="The tenant's chargeback invoice.")
    owner_expense_id = models.UUIDField(null=True, blank=True, help_text="The owner expense on their statement.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="workorder_charge_positive")]

    def __str__(self) -> str:
        return f"{self.payer} {self.total} {self.currency}"


class ApprovalThreshold(BaseModel):
    """Above ``amount``, an owner-paid estimate waits for the owner's approval. ``owner``
    empty: the company's default for every owner."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["company", "owner"], name="approval_threshold_per_owner"),
            models.UniqueConstraint(
                fields=["company"], condition=Q(owner__isnull=True), name="approval_threshold_company_default"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="approval_threshold_positive"),
        ]


class ServiceHours(models.Model):
    """The business hours SLA clocks count in, per company: its zone, working days and
    hours, and the public holidays of ``country`` (``holidays``)."""

    company = models.OneToOneField("organizations.Company", on_delete=models.CASCADE, primary_key=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    country = models.CharField(max_length=2, blank=True, help_text="Empty: the company's country.")
    subdivision = models.CharField(max_length=10, blank=True)
    opens = models.TimeField(default="08:00")
    closes = models.TimeField(default="17:00")
    weekdays = models.JSONField(default=list, help_text="ISO weekdays 1-7; empty: Monday to Friday.")

    class Meta:
        verbose_name_plural = "service hours"
        constraints = [models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="service_hours_ordered")]

    def __str__(self) -> str:
        return f"{self.opens}-{self.closes} {self.time_zone}"


class PreventiveSchedule(BaseModel):
    """A recurring job on a listing, unit or asset: every N days or months, or an RFC 5545
    rule (a compliance calendar). Each due date opens one work order ``lead_days`` ahead."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(
        "organizations.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    listing = models.ForeignKey("properties.Listing", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("properties.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    asset = models.CharField(max_length=200, blank=True, help_text="The equipment: a lift, a boiler, extinguishers.")
    issue = models.ForeignKey(IssuePreset, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    every_days = models.PositiveIntegerField(null=True, blank=True)
    every_months = models.PositiveIntegerField(null=True, blank=True)
    rule = models.CharField(max_length=500, blank=True, help_text="An RRULE, e.g. FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1")
    starts_on = models.DateField()
    next_due_on = models.DateField()
    lead_days = models.PositiveIntegerField(default=14)
    remind_days = models.PositiveIntegerField(default=3)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["next_due_on"]
        indexes = [models.Index(fields=["is_active", "next_due_on"], name="preventive_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_days__isnull=False, every_months__isnull=True, rule="")
                | Q(every_days__isnull=True, every_months__isnull=False, rule="")
                | (Q(every_days__isnull=True, every_months__isnull=True) & ~Q(rule="")),
                name="preventive_one_recurrence",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PreventiveRun(models.Model):
    """One due date of a schedule and the work order it opened: unique, so a generator run
    twice at once opens each due work order exactly once."""

    id = models.BigAutoField(primary_key=True)
    schedule = models.ForeignKey(PreventiveSchedule, on_delete=models.CASCADE, related_name="runs")
    due_on = models.DateField()
    work_order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="preventive_run")
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "due_on"], name="preventive_once_per_due_date")]

    def __str__(self) -> str:
        return f"{self.schedule_id} due {self.due_on}"


def photo_path(instance: "WorkOrderPhoto", filename: str) -> str:
    return f"maintenance/{instance.work_order_id}/{instance.pk}"


class WorkOrderPhoto(BaseModel):
    """A photo of the fault or the finished job (JPEG, PNG or WebP, checked whole)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=200)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
