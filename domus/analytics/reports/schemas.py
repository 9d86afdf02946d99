"""Shapes of the reports API."""

import re
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator

from domus.core.money import MoneyStr, MoneyTotals
from domus.core.schemas import Input

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ListingTypeName = Literal["sale", "rent"]
PropertyTypeName = Literal["apartment", "house", "villa", "townhouse", "land", "commercial", "office", "other"]


class FormatQuery(Schema):
    format: Literal["json", "pdf"] = Field("json", description="json (default) or pdf.")


class TableFormatQuery(Schema):
    format: Literal["json", "csv", "pdf"] = Field("json", description="json (default), csv or pdf.")


# CMA


class CmaIn(Input):
    listing_id: UUID | None = Field(None, description="A listing the caller may see; or give the attributes below.")
    address: str | None = Field(None, max_length=255, description="Shown on the report (not geocoded).")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    listing_type: ListingTypeName | None = None
    property_type: PropertyTypeName | None = None
    area_m2: float | None = Field(None, gt=0, le=1_000_000)
    bedrooms: int | None = Field(None, ge=0, le=100)
    year_built: int | None = Field(None, ge=1000, le=2100)
    features: list[str] | None = Field(None, max_length=100, description="Feature slugs (their count is compared).")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="Default: the listing's, or the nearby one.")
    radius_km: float = Field(5.0, ge=0.1, le=100)
    months: int = Field(24, ge=1, le=120, description="How far back a price counts.")
    max_comparables: int = Field(8, ge=1, le=25)


class CmaAdjustmentOut(Schema):
    attribute: Literal["size", "bedrooms", "age", "features"]
    subject: float
    comparable: float
    difference: float
    rate: MoneyStr = Field(..., description="Price per unit of the attribute.")
    basis: Literal["fitted", "default"]
    amount: MoneyStr


class CmaComparableOut(Schema):
    rank: int
    listing_id: UUID
    title: str
    address: str
    latitude: float
    longitude: float
    distance_km: float
    status: str
    price_kind: Literal["sold", "let", "asking"]
    price: MoneyStr
    price_date: date
    asking_price: MoneyStr
    area_m2: float
    price_per_m2: MoneyStr
    bedrooms: int | None
    year_built: int | None
    features: int
    similarity: float
    adjustments: list[CmaAdjustmentOut]
    adjusted_price: MoneyStr


class CmaSubjectOut(Schema):
    listing_id: UUID | None
    title: str
    address: str
    listing_type: str
    property_type: str
    latitude: float
    longitude: float
    area_m2: float
    bedrooms: int | None
    year_built: int | None
    features: int | None
    asking_price: MoneyStr | None


class CmaRateOut(Schema):
    attribute: str
    rate: MoneyStr
    basis: Literal["fitted", "default"]


class CmaModelOut(Schema):
    method: Literal["least_squares", "defaults"]
    rows: int
    min_rows: int
    r2: float | None
    rates: list[CmaRateOut]


class CmaEstimateOut(Schema):
    low: MoneyStr
    median: MoneyStr
    high: MoneyStr
    suggested: MoneyStr
    suggested_low: MoneyStr
    suggested_high: MoneyStr
    price_per_m2: MoneyStr


class CmaConfidenceOut(Schema):
    level: Literal["none", "low", "medium", "high"]
    score: float
    reasons: list[str]


class CmaCriteriaOut(Schema):
    radius_km: float
    searched_km: float = Field(..., description="The radius read: a quarter of radius_km in a dense area.")
    months: int
    max_comparables: int
    candidates: int


class CmaOut(Schema):
    generated_at: datetime
    subject: CmaSubjectOut
    currency: str | None
    criteria: CmaCriteriaOut
    model: CmaModelOut
    comparables: list[CmaComparableOut]
    estimate: CmaEstimateOut | None
    confidence: CmaConfidenceOut


# Property-management reports


def _iso_day(value: object) -> object:
    """A query day is text ``YYYY-MM-DD``: ``0`` or a timestamp is refused, not read as 1970."""
    if value is not None and not (isinstance(value, str) and _ISO_DAY.fullmatch(value.strip())):
        raise ValueError("A day as YYYY-MM-DD.")
    return value


class PmQuery(Schema):
    format: Literal["json", "csv", "pdf"] = Field("json", description="json (default), csv or pdf.")
    company_id: UUID | None = Field(None, description="Only this company's rows (within what the caller sees).")
    owner_id: UUID | None = Field(None, description="Only this owner's properties.")
    as_of: date | None = Field(None, description="The day the report is taken on (default: today, UTC).")

    @field_validator("as_of", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        return _iso_day(value)


class IncomeStatementQuery(Schema):
    format: Literal["json", "csv", "pdf"] = Field("json", description="json (default), csv or pdf.")
    company_id: UUID | None = None
    owner_id: UUID | None = None
    from_: date = Field(..., alias="from", description="First day, inclusive.")
    to: date = Field(..., description="Last day, inclusive.")

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _days(cls, value: object) -> object:
        return _iso_day(value)


class RentRollRowOut(Schema):
    lease_id: UUID
    company_id: UUID
    listing_id: UUID
    listing_title: str
    unit: str
    tenant: str
    owner_id: UUID
    start_date: date
    end_date: date
    rent: MoneyStr
    deposit: MoneyStr
    currency: str
    balance_due: MoneyStr


class RentRollOut(Schema):
    as_of: date
    rows: list[RentRollRowOut]
    monthly_rent: MoneyTotals
    balance_due: MoneyTotals


class AgingBucketsOut(Schema):
    currency: str
    current: MoneyStr = Field(..., description="Not yet due.")
    days_0_30: MoneyStr
    days_31_60: MoneyStr
    days_61_90: MoneyStr
    days_90_plus: MoneyStr
    total: MoneyStr


class ArrearsRowOut(Schema):
    invoice_id: UUID
    number: str
    company_id: UUID
    recipient: str
    lease_id: UUID | None
    due_date: date
    days_overdue: int
    bucket: Literal["current", "0-30", "31-60", "61-90", "90+"]
    balance_due: MoneyStr
    currency: str


class ArrearsOut(Schema):
    as_of: date
    totals: list[AgingBucketsOut]
    rows: list[ArrearsRowOut]


class OccupancyRowOut(Schema):
    listing_id: UUID
    title: str
    units: int
    occupied: int
    vacant: int
    occupancy: float


class OccupancyReportOut(Schema):
    as_of: date
    units: int
    occupied: int
    vacant: int
    occupancy: float
    rows: list[OccupancyRowOut]


class IncomeLineOut(Schema):
    currency: str
    rent_billed: MoneyStr
    collected: MoneyStr
    management_fees: MoneyStr
    net: MoneyStr = Field(..., description="collected - management_fees")


class IncomeStatementOut(Schema):
    period: dict[str, date]
    owner_id: UUID | None
    lines: list[IncomeLineOut]


# Performance pack


class PerformanceIn(Input):
    from_: date = Field(..., alias="from", description="First day, inclusive (UTC).")
    to: date = Field(..., description="Last day, inclusive (UTC).")
    scope: Literal["company", "branch", "agent", "owner"] = Field("company")
    company_id: UUID | None = Field(None, description="For scope company (default: every company the caller sees).")
    branch_id: UUID | None = Field(None, description="Required for scope branch.")
    agent_id: UUID | None = Field(None, description="For scope agent (default: the caller).")
    owner_id: UUID | None = Field(None, description="For scope owner (default: the caller).")


class CountPerCurrencyOut(Schema):
    currency: str
    count: int
    amount: MoneyStr


class PerformanceOut(Schema):
    period: dict[str, date]
    scope: dict[str, str | None]
    leads: dict[str, int | dict[str, int]]
    viewings: dict[str, int]
    offers: dict[str, int]
    closings: list[CountPerCurrencyOut]
    commissions: list[CountPerCurrencyOut]
    collections: list[CountPerCurrencyOut]
    arrears: list[AgingBucketsOut]
    maintenance: dict[str, float | int | None]
