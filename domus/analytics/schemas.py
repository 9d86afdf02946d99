"""Shapes of the analytics API."""

import re
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator

from domus.core.filtering import DateOrDateTime
from domus.core.money import MoneyStr, MoneyTotals
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


# Dashboards

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

PeriodName = Literal[
    "today", "last_7_days", "last_30_days", "last_90_days", "this_month", "this_year", "last_12_months"
]


class DashboardFilters(Schema):
    from_: date | None = Field(
        None, alias="from", description="First day (YYYY-MM-DD, UTC), inclusive. Default: 29 days before `to`."
    )
    to: date | None = Field(None, description="Last day (YYYY-MM-DD, UTC), inclusive. Default: today.")
    period: PeriodName | None = Field(
        None, description="A named period ending today (instead of from/to). Default: last_30_days."
    )

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        if isinstance(value, str) and not _ISO_DAY.fullmatch(value.strip()):
            raise ValueError("Enter a day as YYYY-MM-DD.")
        return value.strip() if isinstance(value, str) else value


class PeriodOut(Schema):
    from_: date = Field(..., alias="from")
    to: date
    name: str | None = Field(..., description="The named period, or custom for from/to dates.")


class ScopeOut(Schema):
    kind: Literal["platform", "companies", "agent", "owner"] = Field(
        ..., description="platform (admin), companies (staff), agent (own pipeline), owner (own properties)"
    )
    company_ids: list[UUID]


class DashboardHead(Schema):
    period: PeriodOut
    scope: ScopeOut


class ListingCounts(Schema):
    total: int
    published: int
    new: int = Field(..., description="Created during the period.")


class LeadCounts(Schema):
    total: int
    new: int = Field(..., description="Created during the period.")
    open: int
    won: int
    lost: int


class DealCounts(Schema):
    open: int
    won: int = Field(..., description="Closed won during the period.")
    lost: int = Field(..., description="Closed lost during the period.")
    pipeline_value: MoneyTotals = Field(..., description="Open deals' value per currency.")
    won_value: MoneyTotals = Field(..., description="Value of the deals won during the period, per currency.")


class OverviewOut(DashboardHead):
    listings: ListingCounts
    leads: LeadCounts
    deals: DealCounts
    collected: MoneyTotals = Field(..., description="Payments received during the period, per currency.")


class StatsOut(DashboardHead):
    listings_by_status: dict[str, int]
    leads_by_status: dict[str, int]
    new_leads_by_source: dict[str, int]
    deals_by_status: dict[str, int]


class CurrencyTotal(Schema):
    currency: str
    count: int
    amount: MoneyStr


class PurposeTotal(CurrencyTotal):
    purpose: str


class StatusTotal(CurrencyTotal):
    status: str


class RevenueOut(DashboardHead):
    collected: list[CurrencyTotal]
    collected_by_purpose: list[PurposeTotal]
    deals_won: list[CurrencyTotal]
    commissions: list[StatusTotal] = Field(..., description="Commissions created during the period.")


class PropertiesOut(DashboardHead, ListingCounts):
    by_status: dict[str, int]
    by_listing_type: dict[str, int]


class UsersOut(DashboardHead):
    total: int
    active: int
    new: int
    by_role: dict[str, int]


class ActivityOut(Schema):
    id: UUID
    created_at: datetime
    actor_id: UUID | None
    actor_repr: str
    action: str
    resource_type: str
    resource_id: str
    company_id: UUID | None


class SummaryOut(DashboardHead):
    new_leads: int
    open_leads: int
    lead_conversion_rate: float = Field(..., description="Won leads / all leads in scope.")
    deals_won: int
    deals_lost: int
    deal_win_rate: float = Field(..., description="Won / (won + lost) among deals closed during the period.")
    won_value: MoneyTotals
    pipeline_value: MoneyTotals
    collected: MoneyTotals


# Engagement, funnel, occupancy, collections, maintenance


class ChannelEngagement(Schema):
    channel: str
    sent: int = Field(..., ge=0, description="Touches handed to the channel during the period.")
    opened: int = Field(..., ge=0)
    clicked: int = Field(..., ge=0)
    replied: int = Field(..., ge=0)
    viewings: int = Field(..., ge=0, description="Touches followed by a viewing.")
    offers: int = Field(..., ge=0, description="Touches followed by an offer.")
    open_rate: float = Field(..., ge=0, le=1)
    click_rate: float = Field(..., ge=0, le=1)
    reply_rate: float = Field(..., ge=0, le=1)


class MarketingEngagement(Schema):
    sent: int = Field(..., ge=0)
    channels: list[ChannelEngagement]


class AssistantEngagement(Schema):
    sessions: int = Field(..., ge=0, description="Conversations with a message during the period.")
    users: int = Field(..., ge=0)
    questions: int = Field(..., ge=0)
    answers: int = Field(..., ge=0)
    grounded_rate: float = Field(..., ge=0, le=1, description="Answers that cite the knowledge base.")


class VoiceEngagement(Schema):
    calls: int = Field(..., ge=0, description="Voice calls placed during the period.")
    connected: int = Field(..., ge=0, description="Calls the provider reports delivered.")
    failed: int = Field(..., ge=0)
    by_status: dict[str, int]


class EngagementOut(DashboardHead):
    marketing: MarketingEngagement
    assistant: AssistantEngagement
    voice: VoiceEngagement


class StageHours(Schema):
    count: int = Field(..., ge=0, description="Leads measured (both stages reached).")
    mean: float | None = Field(..., description="Hours, mean.")
    median: float | None = Field(..., description="Hours, median.")


class FunnelRow(Schema):
    source: str = Field(..., description="The lead source, or `all`.")
    leads: int = Field(..., ge=0, description="Leads that came in during the period.")
    viewing: int = Field(..., ge=0, description="Of them, leads with a deal that reached a viewing (or further).")
    offer: int = Field(..., ge=0)
    won: int = Field(..., ge=0)
    commission: int = Field(..., ge=0)
    conversion: dict[str, float] = Field(..., description="Each stage / the leads; `step` rates are stage / previous.")
    step_conversion: dict[str, float]
    hours: dict[str, StageHours] = Field(
        ..., description="lead_to_viewing, viewing_to_offer, offer_to_won, won_to_commission"
    )


class FunnelOut(DashboardHead):
    stages: list[str]
    total: FunnelRow
    sources: list[FunnelRow]


class LeaseTotals(Schema):
    currency: str
    active: int = Field(..., ge=0)
    rent_roll: MoneyStr = Field(..., description="Monthly rent of the active leases.")
    started: int = Field(..., ge=0, description="Leases that started during the period.")
    ended: int = Field(..., ge=0, description="Leases that ended during the period.")


class OccupancyOut(DashboardHead):
    units: int = Field(..., ge=0)
    units_by_status: dict[str, int]
    lettable: int = Field(..., ge=0, description="Units not sold.")
    occupied: int = Field(..., ge=0, description="Units rented.")
    vacant: int = Field(..., ge=0, description="Units available or reserved.")
    occupancy_rate: float = Field(..., ge=0, le=1, description="Occupied / lettable.")
    vacancy_rate: float = Field(..., ge=0, le=1, description="Vacant / lettable.")
    leases: list[LeaseTotals]


class Aging(Schema):
    not_due: MoneyStr
    days_0_30: MoneyStr
    days_31_60: MoneyStr
    days_61_90: MoneyStr
    days_90_plus: MoneyStr


class CollectionRow(Schema):
    currency: str
    billed: int = Field(..., ge=0, description="Invoices issued during the period (not void).")
    billed_amount: MoneyStr
    collected_amount: MoneyStr = Field(..., description="Paid so far on the invoices billed during the period.")
    collection_rate: float = Field(..., ge=0, description="Collected / billed amount.")
    received: MoneyStr = Field(..., description="Payments received during the period (any invoice).")
    open_invoices: int = Field(..., ge=0, description="Open invoices now.")
    arrears: MoneyStr = Field(..., description="What the open invoices still owe now.")
    aging: Aging = Field(..., description="Arrears by days past the due date, today.")


class CollectionsOut(DashboardHead):
    currencies: list[CollectionRow]


class PriorityTurnaround(Schema):
    priority: str
    opened: int = Field(..., ge=0, description="Work orders opened during the period.")
    responded: int = Field(..., ge=0)
    resolved: int = Field(..., ge=0)
    open: int = Field(..., ge=0, description="Of them, not resolved, cancelled or rejected.")
    response_hours: StageHours
    resolution_hours: StageHours
    resolved_within_sla: float | None = Field(..., description="Resolved by their due time / resolved with one.")


class MaintenanceOut(DashboardHead):
    total: PriorityTurnaround
    priorities: list[PriorityTurnaround]
