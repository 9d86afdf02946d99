"""Leases, rent schedules and tenants."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from domus.core.models import BaseModel
from domus.core.money import currency_field, money_field


class LeaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    TERMINATED = "terminated", "Terminated"


class LateFeeType(models.TextChoices):
    NONE = "none", "None"
    FIXED = "fixed", "Fixed amount"
    PERCENT = "percent", "Percent of the rent"


class Lease(BaseModel):
    """A tenant renting a listing (or one unit of it) from its owner, managed by a company.

    On PostgreSQL two exclusion constraints forbid overlapping active leases: one per unit
    (migration 0001, ``lease_no_overlapping_active_unit``) and one per listing for the
    leases of a whole listing, those without a unit (migration 0002,
    ``lease_no_overlapping_active_listing``)."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="leases")
    listing = models.ForeignKey("properties.Listing", on_delete=models.PROTECT, related_name="leases")
    unit = models.ForeignKey("properties.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="leases")
    tenant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tenant_leases")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owner_leases")
    start_date = models.DateField()
    end_date = models.DateField()
    rent_amount = money_field()
    currency = currency_field()
    billing_day = models.PositiveSmallIntegerField(default=1, help_text="Day of the month rent is due (1-28).")
    deposit = money_field(default=0)
    grace_days = models.PositiveSmallIntegerField(default=5)
    late_fee_type = models.CharField(max_length=10, choices=LateFeeType.choices, default=LateFeeType.NONE)
    late_fee_value = money_field(default=0)
    management_fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=10)
    status = models.CharField(max_length=12, choices=LeaseStatus.choices, default=LeaseStatus.DRAFT)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    termination_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["status", "company"], name="lease_status_company")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="lease_end_after_start"),
            models.CheckConstraint(condition=Q(billing_day__gte=1, billing_day__lte=28), name="lease_billing_day"),
            models.CheckConstraint(condition=Q(rent_amount__gt=0), name="lease_rent_positive"),
            models.CheckConstraint(condition=Q(deposit__gte=0, late_fee_value__gte=0), name="lease_amounts_positive"),
            models.CheckConstraint(
                condition=Q(management_fee_percent__gte=0, management_fee_percent__lte=100), name="lease_fee_percent"
            ),
            models.CheckConstraint(condition=Q(status__in=LeaseStatus.values), name="lease_status_valid"),
            models.CheckConstraint(
                condition=~Q(late_fee_type=LateFeeType.PERCENT) | Q(late_fee_value__gt=0, late_fee_value__lte=100),
                name="lease_late_fee_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"Lease {self.id} ({self.status})"


class RentPeriod(BaseModel):
    """One billing period of a lease; ``invoice_id`` is set once the period's invoice is issued."""

    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="periods")
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(db_index=True)
    amount = money_field()
    invoice_id = models.UUIDField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["period_start"]
        constraints = [models.UniqueConstraint(fields=["lease", "period_start"], name="rent_period_unique")]

    def __str__(self) -> str:
        return f"{self.period_start}..{self.period_end}"
