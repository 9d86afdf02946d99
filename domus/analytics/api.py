"""Analytics API: dashboards, stats and reports."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.pagination import paginate

from domus.analytics import selectors as dashboards
from domus.analytics.schemas import (
    ActivityOut,
    CollectionsOut,
    DashboardFilters,
    EngagementOut,
    FunnelOut,
    MaintenanceOut,
    OccupancyOut,
    OverviewOut,
    PriceTrendFilters,
    PriceTrendsOut,
    PropertiesOut,
    RevenueOut,
    StatsOut,
    SummaryOut,
    UsersOut,
)
from domus.analytics.selectors import resolve_period
from domus.core.errors import ErrorOut
from domus.core.exceptions import ValidationFailed
from domus.core.filtering import first_instant, last_instant
from domus.properties.stats import price_trends

router = Router(tags=["analytics"])

DEFAULT_PERIOD_MONTHS = 12
MAX_PERIOD_DAYS = 10 * 366


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _period(filters: PriceTrendFilters) -> tuple[date | datetime, date | datetime]:
    end = filters.end_date or timezone.now().date()
    start = filters.start_date or _months_back(last_instant(end).date(), DEFAULT_PERIOD_MONTHS - 1)
    if first_instant(start) > last_instant(end):
        raise ValidationFailed(
            "The start date is after the end date.", errors={"start_date": ["Must be on or before end_date."]}
        )
    if (last_instant(end) - first_instant(start)) > timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationFailed(
            "The period is too long.", errors={"start_date": ["The period may span 10 years at most."]}
        )
    return start, end


@router.get(
    "/stats/price-trends/",
    response={200: PriceTrendsOut, 400: ErrorOut, 401: ErrorOut},
    summary="Price trends: per month, for sale and rent, listing count, mean and median price, price per m²",
    description=(
        "Published listings by the month they came on the market (UTC), per listing type and currency. "
        "Defaults to the last 12 months (this month included)."
    ),
)
def stats_price_trends(request: HttpRequest, filters: Query[PriceTrendFilters]):
    start, end = _period(filters)
    results = price_trends(
        start_date=start, end_date=end, location=filters.location, property_type=filters.property_type
    )
    return {
        "start_date": start,
        "end_date": end,
        "location": filters.location,
        "property_type": filters.property_type,
        "results": results,
    }


# Dashboards: each answer scoped to the caller (docs/dashboards.md)

DASHBOARD_ERRORS = {400: ErrorOut, 401: ErrorOut}
PERIOD_HELP = (
    " Scoped to the caller: a platform admin sees everything, company staff their companies, "
    "an agent their own pipeline, anyone else their own properties. The period is `from`/`to` "
    "(inclusive days, UTC) or a named `period` (default: the last 30 days). Money per currency."
)


def _period_of(filters: DashboardFilters):
    return resolve_period(start=filters.from_, end=filters.to, name=filters.period)


def _answer(build, request: HttpRequest, filters: DashboardFilters):
    period, shown = _period_of(filters)
    return build(actor=request.auth, period=period, shown=shown)


@dataclass(frozen=True)
class Board:
    """A dashboard: one GET of the caller's numbers for a period, built by ``build``."""

    path: str
    name: str  # the view's name, hence its operationId
    out: type
    build: Callable[..., Any]
    summary: str
    description: str
    only_some: bool = False  # some roles are refused (403)


BOARDS = (
    Board(
        "/dashboard/overview/",
        "dashboard_overview",
        OverviewOut,
        dashboards.overview,
        summary="Dashboard overview: listings, leads, deals and money collected",
        description="Headline numbers for the caller's scope and the period.",
    ),
    Board(
        "/dashboard/stats/",
        "dashboard_stats",
        StatsOut,
        dashboards.stats,
        summary="Key statistics: listings, leads and deals per status, new leads per source",
        description="Counts per status now, new leads per source during the period.",
    ),
    Board(
        "/dashboard/revenue/",
        "dashboard_revenue",
        RevenueOut,
        dashboards.revenue,
        summary="Revenue: payments collected, deals won and commissions, per currency",
        description="Amounts are never summed across currencies.",
    ),
    Board(
        "/dashboard/properties/",
        "dashboard_properties",
        PropertiesOut,
        dashboards.property_stats,
        summary="Property analytics: listings per status and type, new during the period",
        description="Live (not deleted) listings.",
    ),
    Board(
        "/dashboard/users/",
        "dashboard_users",
        UsersOut,
        dashboards.user_stats,
        summary="User analytics: users (admin) or company members (staff) per role",
        description=(
            "A platform admin counts every user per platform role; company staff count their companies' "
            "accepted, active memberships per company role. Agents and owners: 403."
        ),
        only_some=True,
    ),
    Board(
        "/summary/",
        "analytics_summary",
        SummaryOut,
        dashboards.summary,
        summary="Aggregate KPIs: leads, conversion, deals won, pipeline and money collected",
        description="The CRM's dashboard summary.",
    ),
    Board(
        "/engagement/",
        "analytics_engagement",
        EngagementOut,
        dashboards.engagement,
        summary="Engagement per channel: marketing touches, the assistant's conversations, voice calls",
        description=(
            "Marketing: touches handed to each channel during the period, with opens, clicks, replies and the "
            "viewings and offers that followed; assistant: conversations, people, questions, answers and the "
            "share grounded in the knowledge base; voice: calls placed and how they ended."
        ),
    ),
    Board(
        "/funnel/",
        "analytics_funnel",
        FunnelOut,
        dashboards.funnel,
        summary="Funnel: from lead source to viewing, offer, won deal and commission, with conversion and hours",
        description=(
            "The leads that came in during the period, per source: how many reached each stage through their "
            "deals (a later stage counts for the earlier ones), conversion from the leads and from the previous "
            "stage, and the hours between stages (mean, median)."
        ),
    ),
    Board(
        "/occupancy/",
        "analytics_occupancy",
        OccupancyOut,
        dashboards.occupancy,
        summary="Occupancy and vacancy: units per status now, leases and rent roll per currency",
        description="Occupancy = rented / lettable (not sold) units; leases started and ended during the period.",
    ),
    Board(
        "/collections/",
        "analytics_collections",
        CollectionsOut,
        dashboards.collections,
        summary="Collections and arrears per currency: billed, collected, received, and arrears by age",
        description=(
            "Invoices issued during the period and how much of them is paid; payments received during the "
            "period; open invoices now with what they owe by days past due (0-30, 31-60, 61-90, 90+)."
        ),
    ),
    Board(
        "/maintenance/",
        "analytics_maintenance",
        MaintenanceOut,
        dashboards.maintenance_turnaround,
        summary="Maintenance turnaround per priority: hours to answer and to resolve, share within the SLA",
        description="Work orders opened during the period.",
    ),
)


def _board_view(board: Board) -> Callable[..., Any]:
    def view(request: HttpRequest, filters: Query[DashboardFilters]):
        return _answer(board.build, request, filters)

    view.__name__ = view.__qualname__ = board.name
    return view


def _register(board: Board) -> None:
    errors = {**DASHBOARD_ERRORS, 403: ErrorOut} if board.only_some else DASHBOARD_ERRORS
    router.get(
        board.path,
        by_alias=True,
        response={200: board.out, **errors},
        summary=board.summary,
        description=board.description + PERIOD_HELP,
    )(_board_view(board))


for board in BOARDS:
    _register(board)


@router.get(
    "/dashboard/activity/",
    response={200: list[ActivityOut], **DASHBOARD_ERRORS},
    summary="Recent activity: audit entries in the caller's scope, newest first",
    description=(
        "A platform admin sees every entry, company staff their companies' entries, anyone else "
        "what they did themselves." + PERIOD_HELP
    ),
)
@paginate
def dashboard_activity(request: HttpRequest, filters: Query[DashboardFilters]):
    period, _ = _period_of(filters)
    return dashboards.activity(actor=request.auth, period=period)
