"""Request and answer shapes of the attendance API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AliasChoices, Strict

from domus.attendance.models import ExceptionKind, GeofenceKind, PayBasis, RequestKind
from domus.core.filtering import DateOrDateTime
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr
from domus.core.schemas import JSON_INTEGER, Input, JsonInt, WallClock, stated_time_zones

BRANCH_ALIAS = AliasChoices("branch_id", "store_id")  # the back office's stores are branches


# A shift's time is the branch's local wall clock.
LocalTime = WallClock
Minutes = Annotated[int, Field(ge=0, le=24 * 60), JSON_INTEGER]
# A polygon's corners: numbers only (``false`` is not 0).
Corner = tuple[Annotated[float, Strict()], Annotated[float, Strict()]]


def photo_url(attendance_id: Any, punch: str, name: str) -> str | None:
    return f"/api/v1/attendance/records/{attendance_id}/photo/{punch}/" if name else None


# Planning -----------------------------------------------------------------------------------


class ShiftIn(Input):
    name: str = Field(..., min_length=1, max_length=100)
    start_time: LocalTime
    end_time: LocalTime
    crosses_midnight: bool = False
    grace_minutes: Minutes = 10
    check_in_window_before_minutes: Minutes = 60
    check_out_window_after_minutes: Minutes = 240
    half_day_threshold_minutes: Minutes = 240
    absent_threshold_minutes: Minutes = 60
    overtime_threshold_minutes: Minutes = 30
    is_active: bool = True
    company_id: UUID | None = None


class ShiftPatchIn(Input):
    name: str = Field(None, min_length=1, max_length=100)
    start_time: LocalTime = None
    end_time: LocalTime = None
    crosses_midnight: bool = None
    grace_minutes: Minutes = None
    check_in_window_before_minutes: Minutes = None
    check_out_window_after_minutes: Minutes = None
    half_day_threshold_minutes: Minutes = None
    absent_threshold_minutes: Minutes = None
    overtime_threshold_minutes: Minutes = None
    is_active: bool = None


class ShiftOut(Schema):
    id: UUID
    company_id: UUID | None
    name: str
    start_time: WallClock
    end_time: WallClock
    crosses_midnight: bool
    grace_minutes: int
    check_in_window_before_minutes: int
    check_out_window_after_minutes: int
    half_day_threshold_minutes: int
    absent_threshold_minutes: int
    overtime_threshold_minutes: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


Weekdays = list[Annotated[int, Field(ge=0, le=6), JSON_INTEGER]]


class ScheduleIn(Input):
    advisor_id: UUID
    branch_id: UUID = Field(..., validation_alias=BRANCH_ALIAS)
    site_id: UUID | None = Field(None, description="A listing the advisor works at instead of the branch.")
    shift_id: UUID
    valid_from: date
    valid_to: date | None = None
    weekdays: Weekdays = Field(..., min_length=1, max_length=7, description="0 = Monday ... 6 = Sunday.")


class SchedulePatchIn(Input):
    advisor_id: UUID = None
    branch_id: UUID = Field(None, validation_alias=BRANCH_ALIAS)
    site_id: UUID | None = None
    shift_id: UUID = None
    valid_from: date = None
    valid_to: date | None = None
    weekdays: Weekdays = Field(None, min_length=1, max_length=7)


class ScheduleOut(Schema):
    id: UUID
    advisor_id: UUID
    branch_id: UUID
    site_id: UUID | None
    shift_id: UUID
    valid_from: date
    valid_to: date | None
    weekdays: list[int]
    created_at: datetime
    updated_at: datetime


class PreviewQuery(Schema):
    """The days to preview: a date, or a date-time (its date is taken)."""

    start: DateOrDateTime
    end: DateOrDateTime

    @property
    def first_day(self) -> date:
        return self.start.date() if isinstance(self.start, datetime) else self.start

    @property
    def last_day(self) -> date:
        return self.end.date() if isinstance(self.end, datetime) else self.end


class PlanDayOut(Schema):
    day: date
    kind: Literal["work", "week_off", "holiday", "leave", "unscheduled"]
    shift_id: UUID | None
    shift_name: str | None
    branch_id: UUID | None
    site_id: UUID | None
    shift_start: datetime | None
    shift_end: datetime | None
    note: str


class WeekOffIn(Input):
    advisor_id: UUID
    weekday: JsonInt = Field(..., ge=0, le=6, description="0 = Monday ... 6 = Sunday.")
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = Field("", max_length=200)


class WeekOffPatchIn(Input):
    advisor_id: UUID = None
    weekday: JsonInt = Field(None, ge=0, le=6)
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = Field(None, max_length=200)


class WeekOffOut(Schema):
    id: UUID
    advisor_id: UUID
    weekday: int
    valid_from: date | None
    valid_to: date | None
    note: str
    created_at: datetime
    updated_at: datetime


class ExceptionIn(Input):
    advisor_id: UUID
    kind: ExceptionKind
    start_date: date
    end_date: date
    shift_id: UUID | None = Field(None, description="The shift worked instead (kind SWAP only).")
    reason: str = Field("", max_length=255)


class ExceptionPatchIn(Input):
    advisor_id: UUID = None
    kind: ExceptionKind = None
    start_date: date = None
    end_date: date = None
    shift_id: UUID | None = None
    reason: str = Field(None, max_length=255)


class ExceptionOut(Schema):
    id: UUID
    advisor_id: UUID
    kind: str
    start_date: date
    end_date: date
    shift_id: UUID | None
    reason: str
    created_at: datetime
    updated_at: datetime


class GeofenceIn(Input):
    branch_id: UUID = Field(..., validation_alias=BRANCH_ALIAS)
    name: str = Field(..., min_length=1, max_length=100)
    kind: GeofenceKind = GeofenceKind.CIRCLE
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    radius_m: float | None = Field(None, gt=0, le=100_000)
    polygon: list[Corner] = Field(default_factory=list, max_length=500, description="[[lat, lon], ...] (kind POLYGON).")
    is_active: bool = True


class GeofencePatchIn(Input):
    name: str = Field(None, min_length=1, max_length=100)
    kind: GeofenceKind = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    radius_m: float | None = Field(None, gt=0, le=100_000)
    polygon: list[Corner] = Field(None, max_length=500)
    is_active: bool = None


class GeofenceOut(Schema):
    id: UUID
    branch_id: UUID
    name: str
    kind: str
    latitude: float | None
    longitude: float | None
    radius_m: float | None
    polygon: list[list[float]]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class CalendarIn(Input):
    time_zone: str = Field(
        "",
        max_length=64,
        description="IANA zone; blank: from the branch's coordinates.",
        json_schema_extra={"enum": ["", *stated_time_zones()]},
    )
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="Holiday country; blank: the company's.")
    subdivision: str = Field("", max_length=10)


class CalendarOut(Schema):
    branch_id: UUID
    time_zone: str = Field(..., description="The zone in use (set, or found from the coordinates).")
    time_zone_set: str
    country: str
    subdivision: str
    holidays: list[dict[str, str]] = Field(..., description="This year's public holidays of the country.")


class PayrollIn(Input):
    pay_basis: PayBasis = PayBasis.MONTHLY
    base_pay: Decimal = Field(Decimal(0), ge=0, le=MAX_MONEY, decimal_places=2)
    overtime_rate: Decimal = Field(Decimal(0), ge=0, le=MAX_MONEY, decimal_places=2)
    late_penalty: Decimal = Field(Decimal(0), ge=0, le=MAX_MONEY, decimal_places=2)
    late_free_count: JsonInt = Field(0, ge=0, le=31)
    currency: CurrencyCode = "KES"


class PayrollPatchIn(Input):
    pay_basis: PayBasis = None
    base_pay: Decimal = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    overtime_rate: Decimal = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    late_penalty: Decimal = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    late_free_count: JsonInt = Field(None, ge=0, le=31)
    currency: CurrencyCode = None


class PayrollOut(Schema):
    id: UUID
    advisor_id: UUID
    user_id: UUID
    pay_basis: str
    base_pay: MoneyStr
    overtime_rate: MoneyStr
    late_penalty: MoneyStr
    late_free_count: int
    currency: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_user_id(obj) -> UUID:
        return obj.advisor_id


# Punches -------------------------------------------------------------------------------------


class CheckInIn(Input):
    lax_scalars = True  # a multipart form: its numbers and booleans arrive as text

    shift_id: UUID
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    accuracy: float | None = Field(None, ge=0, le=100_000, description="GPS accuracy radius, metres.")
    device_time: datetime | None = Field(None, description="The device's clock (kept as evidence only).")
    mock_location: bool = Field(False, description="The device reports a mock (simulated) location.")


class CheckOutIn(Input):
    lax_scalars = True  # a multipart form: its numbers and booleans arrive as text

    attendance_id: UUID
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    accuracy: float | None = Field(None, ge=0, le=100_000)
    ot_request_minutes: int | None = Field(None, ge=0, le=24 * 60, description="Overtime asked (default: all).")
    mock_location: bool = False


class RequestOut(Schema):
    id: UUID
    attendance_id: UUID
    advisor_id: UUID
    branch_id: UUID
    day: date
    kind: RequestKind
    status: str
    minutes: int
    evidence: dict[str, Any] = Field(..., description="Point, geofence decision, accuracy, selfie link, signals.")
    decided_by_id: UUID | None
    decided_at: datetime | None
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_advisor_id(obj) -> UUID:
        return obj.attendance.advisor_id

    @staticmethod
    def resolve_day(obj) -> date:
        return obj.attendance.day

    @staticmethod
    def resolve_evidence(obj) -> dict[str, Any]:
        punch = obj.evidence.get("punch", "check_in")
        name = getattr(obj.attendance, f"{punch}_photo", "")
        return {**obj.evidence, "selfie_url": photo_url(obj.attendance_id, punch, name)}


class AttendanceOut(Schema):
    id: UUID
    advisor_id: UUID
    branch_id: UUID
    site_id: UUID | None
    shift_id: UUID
    day: date = Field(..., description="The branch's local day the shift starts on.")
    shift_start: datetime
    shift_end: datetime
    status: str
    source: str
    is_late: bool
    late_minutes: int
    worked_minutes: int
    overtime_minutes: int
    missed_check_out: bool
    check_in_at: datetime | None
    check_in_lat: float | None
    check_in_lon: float | None
    check_in_accuracy: float | None
    check_in_photo_url: str | None
    check_out_at: datetime | None
    check_out_lat: float | None
    check_out_lon: float | None
    check_out_accuracy: float | None
    check_out_photo_url: str | None
    geofence: dict[str, Any]
    signals: list[dict[str, Any]]
    requests: list[RequestOut]

    @staticmethod
    def resolve_check_in_photo_url(obj) -> str | None:
        return photo_url(obj.pk, "check_in", obj.check_in_photo)

    @staticmethod
    def resolve_check_out_photo_url(obj) -> str | None:
        return photo_url(obj.pk, "check_out", obj.check_out_photo)

    @staticmethod
    def resolve_requests(obj) -> list[Any]:
        requests = list(obj.requests.all())
        for request in requests:
            request.attendance = obj
        return requests


class TodayOut(Schema):
    day: date | None = Field(..., description="The local day of the shift now running or planned today.")
    plan: PlanDayOut | None
    attendance: AttendanceOut | None
    pending_requests: list[RequestOut]


class DecisionIn(Input):
    reason: str = Field("", max_length=500, description="Required to reject.")


# Reports --------------------------------------------------------------------------------------


class ReportQuery(Schema):
    month: str | None = Field(
        None,
        pattern=r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])$",
        description="YYYY-MM (this month by default).",
    )
    format: Literal["json", "csv", "pdf"] = "json"


class ReportDayOut(Schema):
    day: date
    status: str
    worked_minutes: int
    overtime_minutes: int
    late_minutes: int


class ReportTotalsOut(Schema):
    present: int
    late: int
    half_day: int
    absent: int
    week_off: int
    holiday: int
    leave: int
    pending: int
    worked_minutes: int
    overtime_minutes: int
    late_count: int


class PayableOut(Schema):
    currency: str
    base: MoneyStr
    overtime: MoneyStr
    late_penalty: MoneyStr
    total: MoneyStr


class ReportAdvisorOut(Schema):
    advisor_id: UUID
    name: str
    days: list[ReportDayOut]
    totals: ReportTotalsOut
    payable: PayableOut | None


class ReportOut(Schema):
    month: str
    branch_id: UUID | None
    advisors: list[ReportAdvisorOut]
    payable_totals: dict[str, MoneyStr] = Field(..., description="Per currency.")
