"""Shapes of the leasing API."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from domus.core.filtering import ListFilters, ordering_of
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr
from domus.core.schemas import Input
from domus.leasing.models import LateFeeType, LeaseStatus


class LeaseFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "start_date", "end_date", "rent_amount")
    status: LeaseStatus | None = None
    company_id: UUID | None = None
    listing_id: UUID | None = None
    unit_id: UUID | None = None
    tenant_id: UUID | None = None
    owner_id: UUID | None = None


class LeaseIn(Input):
    listing_id: UUID
    unit_id: UUID | None = None
    tenant_id: UUID
    owner_id: UUID | None = None
    start_date: date
    end_date: date
    rent_amount: Decimal = Field(..., gt=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    billing_day: int = Field(1, ge=1, le=28)
    deposit: Decimal = Field(Decimal(0), ge=0, le=MAX_MONEY, decimal_places=2)
    grace_days: int = Field(5, ge=0, le=60)
    late_fee_type: LateFeeType = LateFeeType.NONE
    late_fee_value: Decimal = Field(
        Decimal(0),
        ge=0,
        le=MAX_MONEY,
        decimal_places=2,
        description="A fixed amount (0 or more), or a percent of the rent (more than 0, at most 100).",
    )
    management_fee_percent: Decimal = Field(Decimal(10), ge=0, le=100, decimal_places=2)


class LeasePatchIn(Input):
    """Fields to change on a draft lease. ``unit_id: null`` makes it a lease of the whole
    listing (refused when the listing has units); ``null`` for any other field is a 400."""

    unit_id: UUID | None = None
    start_date: date = None
    end_date: date = None
    rent_amount: Decimal = Field(None, gt=0, le=MAX_MONEY, decimal_places=2)
    billing_day: int = Field(None, ge=1, le=28)
    deposit: Decimal = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    grace_days: int = Field(None, ge=0, le=60)
    late_fee_type: LateFeeType = None
    late_fee_value: Decimal = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    management_fee_percent: Decimal = Field(None, ge=0, le=100, decimal_places=2)


class TerminateIn(Input):
    reason: str = Field(..., min_length=1, max_length=2000)
    on: date | None = Field(None, description="The lease's last day (today by default); between its start and end.")


class LeaseOut(Schema):
    id: UUID
    company_id: UUID
    listing_id: UUID
    unit_id: UUID | None
    tenant_id: UUID
    owner_id: UUID
    start_date: date
    end_date: date
    rent_amount: MoneyStr
    currency: str
    billing_day: int
    deposit: MoneyStr
    grace_days: int
    late_fee_type: str
    late_fee_value: Decimal
    management_fee_percent: Decimal
    status: str
    activated_at: datetime | None
    ended_on: date | None
    termination_reason: str
    created_at: datetime
    updated_at: datetime


class RentPeriodOut(Schema):
    """One rent period: ``amount`` is the rent billed for it (prorated by days when the period
    is shorter than a whole month), ``days`` how many days it covers."""

    id: UUID
    period_start: date
    period_end: date
    days: int
    due_date: date
    amount: MoneyStr
    invoice_id: UUID | None

    @staticmethod
    def resolve_days(obj) -> int:
        return (obj.period_end - obj.period_start).days + 1
