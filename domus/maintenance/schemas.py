"""Request and answer shapes of the maintenance API. The booking body is the back
office's own (``name, email, phone, issue, address, date, time, message, captcha_token``)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import AfterValidator

from domus.core.filtering import ListFilters, ordering_of
from domus.core.money import MAX_MONEY
from domus.core.schemas import EMAIL_PATTERN, Input, is_email
from domus.maintenance.models import PartStatus, Priority, QuestionKind, VendorStatus, WorkOrderStatus


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
Clock = time
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


class QuestionPatchIn(Input):
    issue_id: UUID | None = None
    text: str | None = Field(None, min_length=1, max_length=500)
    kind: QuestionKind | None = None
    choices: list[str] | None = Field(None, max_length=50)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=10000)
    emergency_answer: str | None = Field(None, max_length=200)


class QuestionOut(Schema):
    id: UUID
    issue_id: UUID | None
    text: str
    kind: QuestionKind
    choices: list[str]
    required: bool
    position: int
    emergency_answer: str


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


class AnswerIn(Input):
    question_id: UUID
    value: str = Field(..., min_length=1, max_length=2000)


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
    created_at: datetime
    updated_at: datetime


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


class MoveIn(Input):
    status: WorkOrderStatus
    reason: str = Field("", max_length=2000)


class TechnicianIn(Input):
    technician_id: UUID
    start: datetime
    end: datetime


class VendorAssignIn(Input):
    vendor_id: UUID


class VendorAnswerIn(Input):
    accept: bool
    reason: str = Field("", max_length=2000)


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


class PartOut(Schema):
    id: UUID
    part_id: UUID
    quantity: str
    issued: str
    reservation_id: UUID | None
    status: PartStatus

    @staticmethod
    def resolve_quantity(obj: Any) -> str:
        return f"{obj.quantity:f}"

    @staticmethod
    def resolve_issued(obj: Any) -> str:
        return f"{obj.issued:f}"
