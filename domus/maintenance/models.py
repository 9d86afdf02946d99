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

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["company", "status", "-created_at"], name="workorder_company_status"),
            models.Index(fields=["resolve_due_at"], name="workorder_resolve_due"),
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

    class Meta(BaseModel.Meta):
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="workorder_part_positive")]
