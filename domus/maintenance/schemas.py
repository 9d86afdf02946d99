"""Request and answer shapes of the maintenance API. The booking body is the back
office's own (``name, email, phone, issue, address, date, time, message, captcha_token``)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, model_validator

from domus.core.filtering import ListFilters, ordering_of
from domus.core.money import MAX_MONEY
from domus.core.schemas import EMAIL_PATTERN, Input, WallClock, is_email
from domus.maintenance.models import (
    ApprovalStatus,
    Cause,
    PartStatus,
    Payer,
    Priority,
    QuestionKind,
    VendorStatus,
    WorkOrderStatus,
)

FINISHED_VALUES = ("closed", "cancelled", "rejected", "work_done", "ready_to_bill")


def _email(value: str) -> str:
    value = value.strip().lower()
    try:
        if not is_email(value):
            raise ValidationError("not of EMAIL_PATTERN")
        validate_email(value)
    except ValidationError:
        raise ValueError("Enter a valid e-mail address.") from None
    return value


EmailStr = Annotated[
    str, Field(min_length=3, max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN}), AfterValidator(_email)
]
Day = date  # the bodies have fields named "date" and "time"
Clock = WallClock  # a local time of day: the schema states it without a UTC offset
MAX_QTY = Decimal("99999999999")  # what a DecimalField(14, 3) holds
NAME = Field(..., min_length=1, max_length=200)


# Presets, other issues, questions --------------------------------------------------------


class TypicalPart(Input):
    part_id: UUID
    quantity: Decimal = Field(Decimal("1"), gt=0, le=MAX_QTY, decimal_places=3)


class PresetIn(Input):
    name: str = NAME
    category: str = Field("", max_length=100)
    description: str = Field("", max_length=5000)
    default_priority: Priority = Priority.NORMAL
    typical_parts: list[TypicalPart] = Field(default_factory=list, max_length=50)
    is_active: bool = True


class PresetPatchIn(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=5000)
    default_priority: Priority | None = None
    typical_parts: list[TypicalPart] | None = Field(None, max_length=50)
    is_active: bool | None = None


class PresetOut(Schema):
    id: UUID
    name: str
    category: str
    description: str
    default_priority: Priority
    typical_parts: list[dict[str, Any]]
    is_active: bool
    created_at: datetime


class PresetFilters(ListFilters):
    is_active: bool | None = None
    category: str | None = Field(None, max_length=100)


class OtherIssueIn(Input):
    name: str = NAME
    description: str = Field("", max_length=5000)
    is_active: bool = True


class OtherIssuePatchIn(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    is_active: bool | None = None


class OtherIssueOut(Schema):
    id: UUID
    name: str
    description: str
    is_active: bool
    created_at: datetime


class ActiveFilters(ListFilters):
    is_active: bool | None = None


class QuestionIn(Input):
    issue_id: UUID | None = Field(None, description="The preset it is asked for; empty: every booking.")
    text: str = Field(..., min_length=1, max_length=500)
    kind: QuestionKind = QuestionKind.TEXT
    choices: list[str] = Field(default_factory=list, max_length=50)
    required: bool = False
    position: int = Field(0, ge=0, le=10000)
    emergency_answer: str = Field("", max_length=200, description="An answer that makes the booking an emergency.")
    show_if_question_id: UUID | None = Field(
        None, description="Ask it only when this earlier question (a lower position) has the answer show_if_answer."
    )
    show_if_answer: str = Field("", max_length=200, description="The earlier question's answer that shows this one.")


class QuestionPatchIn(Input):
    issue_id: UUID | None = None
    text: str | None = Field(None, min_length=1, max_length=500)
    kind: QuestionKind | None = None
    choices: list[str] | None = Field(None, max_length=50)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=10000)
    emergency_answer: str | None = Field(None, max_length=200)
    show_if_question_id: UUID | None = None
    show_if_answer: str | None = Field(None, max_length=200)


class QuestionOut(Schema):
    id: UUID
    issue_id: UUID | None
    text: str
    kind: QuestionKind
    choices: list[str]
    required: bool
    position: int
    emergency_answer: str
    show_if_question_id: UUID | None
    show_if_answer: str


class QuestionFilters(ListFilters):
    issue_id: UUID | None = None
    kind: QuestionKind | None = None


# Responses ---------------------------------------------------------------------------------


class ResponseIn(Input):
    booking: UUID
    question: UUID
    answer: str = Field(..., min_length=1, max_length=2000)


class ResponseOut(Schema):
    id: UUID
    booking: UUID = Field(..., validation_alias="work_order_id")
    question: UUID = Field(..., validation_alias="question_id")
    answer: str = Field(..., validation_alias="value")
    created_at: datetime


class ResponseFilters(ListFilters):
    booking: UUID | None = None


# Bookings ----------------------------------------------------------------------------------


# A photo answer in a JSON booking: base64, within the request body limit (DATA_UPLOAD_MAX_MEMORY_SIZE).
PHOTO_BASE64_MAX_LENGTH = 2_600_000


class AnswerIn(Input):
    """One answer: ``value``, or ``photo`` for a photo question (exactly one of them)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["value"], "properties": {"value": {"type": "string"}}},
                {"required": ["photo"], "properties": {"photo": {"type": "string"}}},
            ]
        }
    )

    question_id: UUID
    value: str | None = Field(None, min_length=1, max_length=2000, description="The answer; not for a photo question.")
    photo: str | None = Field(
        None,
        min_length=1,
        max_length=PHOTO_BASE64_MAX_LENGTH,
        description="A photo question's answer: a JPEG, PNG or WebP image, base64-encoded.",
    )

    @model_validator(mode="after")
    def _one_answer(self) -> "AnswerIn":
        if (self.value is None) == (self.photo is None):
            raise ValueError("Give either value or photo (for a photo question).")
        return self


class SlotIn(Input):
    start: datetime = Field(..., description="In the future; a time without offset is read in the server's zone.")
    end: datetime = Field(..., description="After start.")


class SlotOut(Schema):
    start: datetime
    end: datetime


SLOTS_MAX_LENGTH = 10  # the setting MAINTENANCE_PREFERRED_SLOTS_MAX (3 by default) is checked by the service


class BookingIn(Input):
    name: str = NAME
    email: EmailStr
    phone: str = Field("", max_length=32)
    issue: UUID | None = Field(None, description="An issue preset.")
    other_issue: UUID | None = Field(None, description='An "other" issue.')
    address: str = Field("", max_length=300)
    date: Day | None = Field(None, description="The preferred day.")
    time: Clock | None = Field(None, description="The preferred time.")
    message: str = Field("", max_length=5000)
    captcha_token: str | None = Field(None, max_length=4000, description="Needed unless signed in.")
    answers: list[AnswerIn] = Field(default_factory=list, max_length=100)
    permission_to_enter: bool = Field(False, description="A signed-in tenant lets the technician in while away.")
    preferred_slots: list[SlotIn] = Field(
        default_factory=list,
        max_length=SLOTS_MAX_LENGTH,
        description="A signed-in tenant's windows for the visit: in the future, not overlapping, at most "
        "MAINTENANCE_PREFERRED_SLOTS_MAX.",
    )


class AccessIn(Input):
    permission_to_enter: bool | None = None
    preferred_slots: list[SlotIn] | None = Field(None, max_length=SLOTS_MAX_LENGTH)


class BookingUpdateIn(Input):
    status: WorkOrderStatus | None = None
    reason: str = Field("", max_length=2000, description="Why the status changes (kept in the history).")
    notes: str | None = Field(None, max_length=5000)
    priority: Priority | None = None
    branch_id: UUID | None = None


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor_id: UUID | None
    reason: str
    created_at: datetime


class BookingOut(Schema):
    id: UUID
    company_id: UUID
    branch_id: UUID | None
    issue_id: UUID | None
    other_issue_id: UUID | None
    requester_id: UUID | None
    lease_id: UUID | None
    listing_id: UUID | None
    unit_id: UUID | None
    name: str
    email: str
    phone: str
    address: str
    date: Day | None = Field(None, validation_alias="preferred_date")
    time: Clock | None = Field(None, validation_alias="preferred_time")
    message: str
    notes: str
    status: WorkOrderStatus
    priority: Priority
    reopen_count: int
    response_due_at: datetime | None
    resolve_due_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    technician_id: UUID | None
    vendor_id: UUID | None
    vendor_status: VendorStatus
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    rating: int | None
    permission_to_enter: bool = Field(False, description="The tenant lets the technician in while away.")
    preferred_slots: list[SlotOut] = Field(default_factory=list, description="The tenant's windows for a visit (UTC).")
    repeat_of_id: UUID | None = Field(None, description="The earlier job on the same unit and issue (a repeat fault).")
    sla_paused_at: datetime | None = Field(None, description="Set while the job waits on the owner.")
    sla_breached: bool = Field(False, description="Resolved late, or open past its resolution deadline.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_sla_breached(obj: Any) -> bool:
        due = getattr(obj, "resolve_due_at", None)
        if due is None:
            return False
        if obj.resolved_at is not None:
            return obj.resolved_at > due
        return obj.sla_paused_at is None and obj.status not in FINISHED_VALUES and timezone.now() > due


class BookingDetailOut(BookingOut):
    transitions: list[TransitionOut]


class BookingFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "priority", "resolve_due_at", "status")
    status: WorkOrderStatus | None = None
    priority: Priority | None = None
    company_id: UUID | None = None
    branch_id: UUID | None = None
    technician_id: UUID | None = None
    vendor_id: UUID | None = None
    issue_id: UUID | None = None
    overdue: bool | None = Field(None, description="Only open bookings past their resolution deadline.")
    repeat: bool | None = Field(None, description="Only repeat faults (true) or first faults (false).")
    awaiting_owner: bool | None = Field(None, description="Only bookings whose estimate waits for the owner.")


class MoveIn(Input):
    status: WorkOrderStatus
    reason: str = Field("", max_length=2000)


class TechnicianIn(Input):
    technician_id: UUID
    start: datetime
    end: datetime
    override_slots: bool = Field(
        False, description="Book outside the tenant's preferred slots although they gave no permission to enter."
    )


class VendorAssignIn(Input):
    vendor_id: UUID
    start: datetime | None = Field(None, description="The vendor's visit starts (give end too).")
    end: datetime | None = Field(None, description="The vendor's visit ends.")
    override_slots: bool = Field(
        False,
        description="Book the visit outside the tenant's preferred slots although they gave no permission to enter.",
    )


class VendorAnswerIn(Input):
    accept: bool
    reason: str = Field("", max_length=2000)
    start: datetime | None = Field(
        None, description="Accepting: the visit starts (inside the tenant's preferred slots; give end too)."
    )
    end: datetime | None = Field(None, description="Accepting: the visit ends.")


class RatingIn(Input):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class CaptchaOut(Schema):
    question: str
    challenge: str = Field(..., description='Send "<challenge>:<answer>" as captcha_token.')


# Vendors ----------------------------------------------------------------------------------


class VendorIn(Input):
    company_id: UUID
    user_id: UUID | None = None
    name: str = NAME
    trade: str = Field("", max_length=100)
    coverage_area: str = Field("", max_length=200)
    hourly_rate: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    currency: str = Field("KES", min_length=3, max_length=3)
    insurance_expires_on: date | None = None


class VendorOut(Schema):
    id: UUID
    company_id: UUID
    user_id: UUID | None
    name: str
    trade: str
    coverage_area: str
    hourly_rate: str | None
    currency: str
    insurance_expires_on: date | None
    is_active: bool
    repeat_faults: int = Field(0, description="Jobs of this vendor the same fault came back after.")

    @staticmethod
    def resolve_hourly_rate(obj: Any) -> str | None:
        return None if obj.hourly_rate is None else f"{obj.hourly_rate:.2f}"


class VendorFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at")
    company_id: UUID | None = None
    trade: str | None = Field(None, max_length=100)
    is_active: bool | None = None


# Parts ------------------------------------------------------------------------------------


class PartIn(Input):
    part_id: UUID
    quantity: Decimal = Field(..., gt=0, le=MAX_QTY, decimal_places=3)


class PartIssueIn(Input):
    quantity: Decimal | None = Field(None, gt=0, le=MAX_QTY, decimal_places=3, description="Empty: all reserved.")
    serial_numbers: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=1000,
        description="A serialized part's serials, one per unit issued; recorded as fitted at the job's unit.",
    )


class FittingOut(Schema):
    id: UUID
    serial_id: UUID
    serial_number: str
    part_id: UUID
    part_number: str
    listing_id: UUID | None
    unit_id: UUID | None
    booking_id: UUID | None = Field(None, validation_alias="job_id", description="The job that fitted it.")
    fitted_at: datetime
    removed_at: datetime | None = Field(None, description="Empty: the serial is still fitted here.")

    @staticmethod
    def resolve_serial_number(obj: Any) -> str:
        return obj.serial.serial_number

    @staticmethod
    def resolve_part_number(obj: Any) -> str:
        return obj.part.part_number


class PartOut(Schema):
    id: UUID
    part_id: UUID
    quantity: str
    issued: str
    reservation_id: UUID | None
    status: PartStatus
    from_preset: bool = Field(False, description="Proposed from the issue preset's typical parts.")

    @staticmethod
    def resolve_quantity(obj: Any) -> str:
        return f"{obj.quantity:f}"

    @staticmethod
    def resolve_issued(obj: Any) -> str:
        return f"{obj.issued:f}"


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


# Costing, billing, owner approval ------------------------------------------------------------

Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2)]


class CostingIn(Input):
    cause: Cause | None = None
    payer: Payer | None = Field(None, description="Empty: by the cause.")
    labour_hours: Decimal | None = Field(None, ge=0, le=Decimal("999999.99"), decimal_places=2)
    labour_rate: Money | None = None
    vendor_invoice_amount: Money | None = None
    vendor_invoice_reference: str | None = Field(None, max_length=100)
    estimate_amount: Money | None = None
    estimate_note: str | None = Field(None, max_length=2000)


class ChargeOut(Schema):
    payer: Payer
    payer_user_id: UUID | None
    currency: str
    labour: str
    parts: str
    vendor: str
    total: str
    invoice_id: UUID | None
    owner_expense_id: UUID | None
    created_at: datetime

    @staticmethod
    def resolve_labour(obj: Any) -> str:
        return _money(obj.labour)

    @staticmethod
    def resolve_parts(obj: Any) -> str:
        return _money(obj.parts)

    @staticmethod
    def resolve_vendor(obj: Any) -> str:
        return _money(obj.vendor)

    @staticmethod
    def resolve_total(obj: Any) -> str:
        return _money(obj.total)


class CostingOut(Schema):
    cause: Cause
    payer: str = Field(..., description="Set on the job; empty: by the cause.")
    bills: Payer = Field(..., description="Who will be billed on close (or was).")
    labour_hours: str
    labour_rate: str | None
    vendor_invoice_amount: str
    vendor_invoice_reference: str
    estimate_amount: str | None
    estimate_note: str
    approval_status: ApprovalStatus
    approval_reason: str
    approval_at: datetime | None
    needs_approval: bool
    currency: str
    expected: dict[str, str] = Field(..., description="Labour, parts and vendor as billed on close, markups included.")
    charge: ChargeOut | None


class ApprovalIn(Input):
    reason: str = Field("", max_length=2000)


class ThresholdIn(Input):
    company_id: UUID
    owner_id: UUID | None = Field(None, description="Empty: the company's default for every owner.")
    amount: Money


class ThresholdOut(Schema):
    id: UUID
    company_id: UUID
    owner_id: UUID | None
    amount: str
    created_at: datetime

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return _money(obj.amount)


class ThresholdFilters(ListFilters):
    ordering: str | None = ordering_of("created_at")
    company_id: UUID | None = None
    owner_id: UUID | None = None


class ServiceHoursIn(Input):
    time_zone: str = Field("UTC", min_length=1, max_length=64)
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2; empty: the company's.")
    subdivision: str = Field("", max_length=10)
    opens: Clock = Clock(8)
    closes: Clock = Clock(17)
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5], max_length=7)


class ServiceHoursOut(Schema):
    company_id: UUID
    time_zone: str
    country: str
    subdivision: str
    opens: Clock
    closes: Clock
    weekdays: list[int]


# Preventive schedules ---------------------------------------------------------------------


class PreventiveScheduleIn(Input):
    company_id: UUID
    branch_id: UUID | None = None
    listing_id: UUID | None = None
    unit_id: UUID | None = None
    asset: str = Field("", max_length=200)
    issue_id: UUID | None = None
    title: str = NAME
    priority: Priority = Priority.NORMAL
    every_days: int | None = Field(None, ge=1, le=3650)
    every_months: int | None = Field(None, ge=1, le=120)
    rule: str = Field("", max_length=500, description="An RRULE, e.g. FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1.")
    starts_on: date
    lead_days: int = Field(14, ge=0, le=365)
    remind_days: int = Field(3, ge=0, le=365)
    technician_id: UUID | None = None
    is_active: bool = True


class PreventiveSchedulePatchIn(Input):
    title: str | None = Field(None, min_length=1, max_length=200)
    asset: str | None = Field(None, max_length=200)
    priority: Priority | None = None
    every_days: int | None = Field(None, ge=1, le=3650)
    every_months: int | None = Field(None, ge=1, le=120)
    rule: str | None = Field(None, max_length=500)
    lead_days: int | None = Field(None, ge=0, le=365)
    remind_days: int | None = Field(None, ge=0, le=365)
    is_active: bool | None = None


class PreventiveScheduleOut(Schema):
    id: UUID
    company_id: UUID
    branch_id: UUID | None
    listing_id: UUID | None
    unit_id: UUID | None
    asset: str
    issue_id: UUID | None
    title: str
    priority: Priority
    every_days: int | None
    every_months: int | None
    rule: str
    starts_on: date
    next_due_on: date
    lead_days: int
    remind_days: int
    technician_id: UUID | None
    is_active: bool
    created_at: datetime


class PreventiveScheduleFilters(ListFilters):
    ordering: str | None = ordering_of("next_due_on", "created_at")
    company_id: UUID | None = None
    listing_id: UUID | None = None
    unit_id: UUID | None = None
    is_active: bool | None = None


# Photos -----------------------------------------------------------------------------------


class PhotoOut(Schema):
    id: UUID
    content_type: str
    width: int
    height: int
    uploaded_by_id: UUID | None
    created_at: datetime
