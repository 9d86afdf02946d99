"""Shapes of the analytics API."""

from datetime import date
from decimal import Decimal

from ninja import Field, Schema
from pydantic import field_validator

from domus.properties.stats import PROPERTY_TYPES


class PriceTrendFilters(Schema):
    start_date: date | None = Field(None, description="First day (ISO 8601). Default: 1st of the month 11 months ago.")
    end_date: date | None = Field(None, description="Last day, inclusive (ISO 8601). Default: today (UTC).")
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
    mean_price: Decimal
    median_price: Decimal
    mean_price_per_m2: Decimal | None = Field(..., description="Mean of price / area over listings with an area.")


class PriceTrendsOut(Schema):
    start_date: date
    end_date: date
    location: str | None
    property_type: str | None
    results: list[PriceTrendOut]
