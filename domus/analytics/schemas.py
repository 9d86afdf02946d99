"""Shapes of the analytics API."""

from datetime import date, datetime

from ninja import Field, Schema
from pydantic import field_validator

from domus.core.filtering import DateOrDateTime
from domus.core.money import MoneyStr
from domus.properties.stats import PROPERTY_TYPES


class PriceTrendFilters(Schema):
    start_date: DateOrDateTime | None = Field(
        None, description="First day or instant (ISO 8601). Default: 1st of the month 11 months ago."
    )
    end_date: DateOrDateTime | None = Field(
        None, description="Last day or instant, inclusive (ISO 8601). Default: today (UTC)."
    )
    location: str | None = Field(None, max_length=100, description="A city or state, case-insensitive.")
    property_type: str | None = Field(None, description=f"One of: {', '.join(PROPERTY_TYPES)}.")

    @field_validator("location")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        return (" ".join(value.split()) or None) if value is not None else None

    @field_validator("property_type")
    @classmethod
    def _property_type(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value not in PROPERTY_TYPES:
            raise ValueError(f"Unknown property type; one of: {', '.join(PROPERTY_TYPES)}.")
        return value


class PriceTrendOut(Schema):
    month: date = Field(..., description="First day of the month (UTC).")
    listing_type: str = Field(..., description="sale or rent")
    currency: str = Field(..., description="ISO 4217; prices in different currencies are never mixed.")
    listing_count: int
    mean_price: MoneyStr
    median_price: MoneyStr
    mean_price_per_m2: MoneyStr | None = Field(..., description="Mean of price / area over listings with an area.")


class PriceTrendsOut(Schema):
    start_date: date | datetime
    end_date: date | datetime
    location: str | None
    property_type: str | None
    results: list[PriceTrendOut]
