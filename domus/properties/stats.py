"""Price trends of the listing portal (reads only).

Per calendar month (UTC) of a listing's market date (``published_at``, else
``created_at``), per listing type (sale, rent) and currency (prices in different
currencies are never averaged together): the number of listings, the mean and median
price, and the mean price per m² (over listings with an area). Only published, public,
not deleted listings count.

Counts and means are one GROUP BY in the database. The median is
``percentile_cont(0.5) WITHIN GROUP (ORDER BY price)`` in the same query on
PostgreSQL. SQLite has no ordered-set aggregates, so there each bucket's median is read
with one bounded query: the (at most) two middle prices, by ``ORDER BY price
LIMIT 2 OFFSET (n - 1) / 2`` — never the whole bucket. The embedded SQLite default holds
little data and a year has at most 24 buckets per currency.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, FloatField, Q, QuerySet
from django.db.models.functions import Cast, Coalesce, TruncMonth

from domus.core.aggregates import Median
from domus.core.filtering import first_instant, last_instant
from domus.core.money import quantize
from domus.properties.models import Listing, ListingType, PropertyType
from domus.properties.selectors import public_listing_q

# The property types a trend may be narrowed to (for other apps' input validation).
PROPERTY_TYPES: tuple[str, ...] = tuple(PropertyType.values)


@dataclass(frozen=True)
class PriceTrend:
    month: date
    listing_type: str
    currency: str
    listing_count: int
    mean_price: Decimal
    median_price: Decimal
    mean_price_per_m2: Decimal | None


def _money(value: Any) -> Decimal | None:
    return quantize(str(value)) if value is not None else None


def _listings(
    *, start_date: date | datetime, end_date: date | datetime, location: str | None, property_type: str | None
) -> QuerySet:
    queryset = (
        Listing.objects.filter(public_listing_q())
        .annotate(market_date=Coalesce("published_at", "created_at"))
        .filter(market_date__gte=first_instant(start_date), market_date__lte=last_instant(end_date))
    )
    if location:
        queryset = queryset.filter(Q(city__iexact=location) | Q(state__iexact=location))
    if property_type:
        queryset = queryset.filter(property_type=property_type)
    return queryset.annotate(month=TruncMonth("market_date", tzinfo=UTC))


def _median_from_middle(queryset: QuerySet, count: int) -> Decimal | None:
    """The median of a bucket of ``count`` prices, from its (at most) two middle rows."""
    offset = (count - 1) // 2
    middle = list(queryset.order_by("price").values_list("price", flat=True)[offset : offset + 2 - count % 2])
    if not middle:
        return None
    return sum(middle, Decimal(0)) / len(middle)


def price_trends(
    *,
    start_date: date | datetime,
    end_date: date | datetime,
    location: str | None = None,
    property_type: str | None = None,
) -> list[PriceTrend]:
    """Monthly price statistics of published listings whose market date falls in
    ``start_date``..``end_date`` (inclusive), optionally in one city or state
    (case-insensitive) and of one property type; ordered by month, listing type
    (sale first) and currency."""
    listings = _listings(start_date=start_date, end_date=end_date, location=location, property_type=property_type)
    aggregates: dict[str, Any] = {
        "listing_count": Count("id"),
        "mean_price": Avg("price"),
        # Float division: SQLite would divide two whole-number decimals as integers.
        "mean_price_per_m2": Avg(Cast("price", FloatField()) / Cast("area_m2", FloatField()), filter=Q(area_m2__gt=0)),
    }
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["median_price"] = Median("price")
    rows = listings.order_by().values("month", "listing_type", "currency").annotate(**aggregates)

    order = {value: index for index, value in enumerate(ListingType.values)}
    trends = []
    for row in rows:
        if postgres:
            median = row["median_price"]
        else:
            bucket = listings.filter(month=row["month"], listing_type=row["listing_type"], currency=row["currency"])
            median = _median_from_middle(bucket, row["listing_count"])
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        trends.append(
            PriceTrend(
                month=month,
                listing_type=row["listing_type"],
                currency=row["currency"],
                listing_count=row["listing_count"],
                mean_price=_money(row["mean_price"]),
                median_price=_money(median),
                mean_price_per_m2=_money(row["mean_price_per_m2"]),
            )
        )
    trends.sort(key=lambda t: (t.month, order.get(t.listing_type, len(order)), t.currency))
    return trends
