"""Analytics API: dashboards, stats and reports."""

from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from domus.analytics.schemas import PriceTrendFilters, PriceTrendsOut
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
