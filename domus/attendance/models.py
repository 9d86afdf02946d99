"""Field-staff attendance: the plan (shifts, schedules, week-offs, exceptions, geofences,
branch calendars, payroll profiles) and what happened (attendance days, their punches and
the approval requests they opened). Times are stored in UTC; days are the branch's local
days (a night shift belongs to the day it starts)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from domus.core.models import BaseModel
from domus.core.money import currency_field, money_field


class Shift(BaseModel):
    """Working hours, in the branch's local time. ``end_time`` before or equal to
    ``start_time`` is a shift crossing midnight (allowed only with ``crosses_midnight``)."""

    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    start_time = models.TimeField()
    end_time = models.TimeField()
    crosses_midnight = models.BooleanField(default=False)
    grace_minutes = models.PositiveIntegerField(default=10)
    check_in_window_before_minutes = models.PositiveIntegerField(default=60)
    check_out_window_after_minutes = models.PositiveIntegerField(default=240)
    half_day_threshold_minutes = models.PositiveIntegerField(default=240, help_text="Worked less: half day.")
    absent_threshold_minutes = models.PositiveIntegerField(default=60, help_text="Worked less: absent.")
    overtime_threshold_minutes = models.PositiveIntegerField(default=30, help_text="Overtime counts past end + this.")
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(crosses_midnight=True) | Q(end_time__gt=F("start_time")), name="shift_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(absent_threshold_minutes__lte=F("half_day_threshold_minutes")),
                name="shift_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class BranchCalendar(BaseModel):
    """A branch's time zone and holiday country for attendance. Without a row (or with
    blank fields) the time zone comes from the branch's coordinates and the country from
    its company."""

    branch = models.OneToOneField("organizations.Branch", on_delete=models.CASCADE, related_name="+")
    time_zone = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    subdivision = models.CharField(max_length=10, blank=True, help_text="Holiday subdivision (state, county).")

    def __str__(self) -> str:
        return f"{self.branch_id} {self.time_zone or '-'} {self.country or '-'}"


class Schedule(BaseModel):
    """An advisor works ``shift`` at ``branch`` (or at ``site``, a listing, that day) on
    ``weekdays`` (0 = Monday) from ``valid_from`` to ``valid_to`` (open-ended when null)."""

    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organizations.Branch", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="schedules")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    weekdays = models.JSONField(default=list, help_text="Working weekdays, 0 = Monday ... 6 = Sunday.")

    class Meta(BaseModel.Meta):
        ordering = ["-valid_from", "id"]
        indexes = [models.Index(fields=["branch", "valid_from"], name="att_schedule_branch_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="schedule_valid_range"
            )
        ]


class WeekOff(BaseModel):
    """A weekly day off of an advisor (0 = Monday), from ``valid_from`` (always when null)
    to ``valid_to`` (open-ended when null)."""

    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["weekday", "id"]
        constraints = [models.CheckConstraint(condition=Q(weekday__lte=6), name="weekoff_weekday_range")]


class ExceptionKind(models.TextChoices):
    HOLIDAY = "HOLIDAY", "Holiday"
    LEAVE = "LEAVE", "Leave"
    SWAP = "SWAP", "Swapped shift"


class ScheduleException(BaseModel):
    """A change of an advisor's plan for a day range: a holiday or leave (no work), or a
    swapped shift (``shift`` instead of the schedule's)."""

    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ExceptionKind.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=255, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="exception_date_range"),
            models.CheckConstraint(
                condition=Q(kind="SWAP", shift__isnull=False) | (~Q(kind="SWAP") & Q(shift__isnull=True)),
                name="exception_swap_has_shift",
            ),
        ]


class GeofenceKind(models.TextChoices):
    CIRCLE = "CIRCLE", "Circle"
    POLYGON = "POLYGON", "Polygon"


class Geofence(BaseModel):
    """Where a branch's advisors may punch: a circle (centre and radius in metres) or a
    polygon (``[[lat, lon], ...]``)."""

    branch = models.ForeignKey("organizations.Branch", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=GeofenceKind.choices, default=GeofenceKind.CIRCLE)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    radius_m = models.FloatField(null=True, blank=True)
    polygon = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["name", "id"]


class PayBasis(models.TextChoices):
    MONTHLY = "MONTHLY", "Monthly (prorated over the planned days)"
    DAILY = "DAILY", "Per paid day"


class PayrollProfile(BaseModel):
    """What an advisor is paid: ``base_pay`` per month or per day, overtime per hour, a
    penalty per late arrival after ``late_free_count`` free ones, in ``currency``."""

    advisor = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pay_basis = models.CharField(max_length=10, choices=PayBasis.choices, default=PayBasis.MONTHLY)
    base_pay = money_field(default=0)
    overtime_rate = money_field(default=0, help_text="Per hour.")
    late_penalty = money_field(default=0, help_text="Per late arrival.")
    late_free_count = models.PositiveIntegerField(default=0)
    currency = currency_field()

    class Meta(BaseModel.Meta):
        ordering = ["advisor_id"]


class AttendanceStatus(models.TextChoices):
    OPEN = "OPEN", "Checked in"
    PENDING_APPROVAL = "PENDING_APPROVAL", "Waiting for approval"
    PRESENT = "PRESENT", "Present"
    HALF_DAY = "HALF_DAY", "Half day"
    ABSENT = "ABSENT", "Absent"


class AttendanceSource(models.TextChoices):
    PUNCH = "PUNCH", "Check-in"
    AUTO = "AUTO", "Auto-attendance"


class Attendance(BaseModel):
    """One advisor's shift day: at most one per advisor and day (the database says so)."""

    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organizations.Branch", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("properties.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The branch's local day the shift starts on.")
    shift_start = models.DateTimeField()
    shift_end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices, db_index=True)
    source = models.CharField(max_length=10, choices=AttendanceSource.choices, default=AttendanceSource.PUNCH)
    late_minutes = models.PositiveIntegerField(default=0)
    is_late = models.BooleanField(default=False)
    worked_minutes = models.PositiveIntegerField(default=0)
    missed_check_out = models.BooleanField(default=False, help_text="Closed by auto-attendance without a check-out.")
    overtime_minutes = models.PositiveIntegerField(default=0, help_text="Approved overtime.")
    check_in_at = models.DateTimeField(null=True, blank=True)
    check_in_lat = models.FloatField(null=True, blank=True)
    check_in_lon = models.FloatField(null=True, blank=True)
    check_in_accuracy = models.FloatField(null=True, blank=True)
    check_in_device_time = models.DateTimeField(null=True, blank=True)
    check_in_photo = models.CharField(max_length=255, blank=True, help_text="Storage name; blank once purged.")
    check_in_photo_hash = models.CharField(max_length=32, blank=True)
    check_out_at = models.DateTimeField(null=True, blank=True)
    check_out_lat = models.FloatField(null=True, blank=True)
    check_out_lon = models.FloatField(null=True, blank=True)
    check_out_accuracy = models.FloatField(null=True, blank=True)
    check_out_photo = models.CharField(max_length=255, blank=True)
    check_out_photo_hash = models.CharField(max_length=32, blank=True)
    photos_purged_at = models.DateTimeField(null=True, blank=True)
    geofence = models.JSONField(default=dict, blank=True, help_text="The geofence decision at check-in.")
    signals = models.JSONField(default=list, blank=True, help_text="Spoofing signals raised at the punches.")
    note = models.CharField(max_length=255, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["-day", "id"]
        constraints = [models.UniqueConstraint(fields=["advisor", "day"], name="attendance_one_per_advisor_day")]
        indexes = [
            models.Index(fields=["branch", "day"], name="att_branch_day_idx"),
            models.Index(fields=["advisor", "-check_in_at"], name="att_advisor_punch_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.advisor_id} {self.day} {self.status}"


class RequestKind(models.TextChoices):
    LATE = "LATE", "Late arrival"
    OUTSIDE_GEOFENCE = "OUTSIDE_GEOFENCE", "Outside the geofence"
    SUSPECT_LOCATION = "SUSPECT_LOCATION", "Suspect location or selfie"
    OT = "OT", "Overtime"


class RequestStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"


class AttendanceRequest(BaseModel):
    """A decision a branch head or admin must take about an attendance day, with the
    evidence the punch left (point, geofence, accuracy, selfie, signals)."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="requests")
    company = models.ForeignKey("organizations.Company", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organizations.Branch", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    minutes = models.PositiveIntegerField(default=0, help_text="Late or overtime minutes.")
    evidence = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["branch", "status"], name="att_request_branch_idx")]
        constraints = [models.UniqueConstraint(fields=["attendance", "kind"], name="attendance_request_one_per_kind")]
