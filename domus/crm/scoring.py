"""The lead score: 0-100 as the sum of five explainable rules, each with its reason.

Pure functions of the lead's data, so the stored breakdown can always be recomputed and
checked; the service stores the result whenever the lead or its activity changes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

SOURCE_POINTS: dict[str, int] = {
    "schedule_call": 15,
    "listing_inquiry": 13,
    "contact_form": 10,
    "campaign": 8,
    "manual": 6,
    "import": 4,
}
ENGAGEMENT_POINTS_PER_ACTIVITY = 5
RECENCY_WINDOW = timedelta(days=30)  # no recency points after this
RULE_MAX = {"budget_fit": 25, "engagement": 25, "recency": 20, "source_quality": 15, "completeness": 15}


@dataclass(frozen=True)
class ScoreInput:
    source: str
    name: str
    email: str
    phone: str
    message: str
    budget_min: Decimal | None
    budget_max: Decimal | None
    listing_price: Decimal | None
    activity_count: int
    last_touch_at: datetime


def _rule(rule: str, points: int, reason: str) -> dict[str, Any]:
    return {"rule": rule, "points": points, "max": RULE_MAX[rule], "reason": reason}


def _budget_fit(data: ScoreInput) -> dict[str, Any]:
    if data.budget_min is None and data.budget_max is None:
        return _rule("budget_fit", 0, "No budget given.")
    if data.listing_price is None:
        return _rule("budget_fit", 10, "Budget given, no listing to compare it with.")
    low = data.budget_min if data.budget_min is not None else Decimal(0)
    high = data.budget_max
    price = data.listing_price
    if price >= low and (high is None or price <= high):
        return _rule("budget_fit", 25, f"Listing price {price} is within the budget.")
    if (high is not None and price <= high * Decimal("1.10")) and price >= low * Decimal("0.90"):
        return _rule("budget_fit", 15, f"Listing price {price} is within 10% of the budget.")
    return _rule("budget_fit", 0, f"Listing price {price} is outside the budget.")


def _engagement(data: ScoreInput) -> dict[str, Any]:
    points = min(data.activity_count * ENGAGEMENT_POINTS_PER_ACTIVITY, RULE_MAX["engagement"])
    return _rule("engagement", points, f"{data.activity_count} recorded activities.")


def _recency(data: ScoreInput, now: datetime) -> dict[str, Any]:
    age = now - data.last_touch_at
    for limit, points, label in (
        (timedelta(days=1), 20, "today"),
        (timedelta(days=7), 14, "this week"),
        (RECENCY_WINDOW, 7, "this month"),
    ):
        if age <= limit:
            return _rule("recency", points, f"Last touched {label}.")
    return _rule("recency", 0, "Not touched for more than 30 days.")


def _source_quality(data: ScoreInput) -> dict[str, Any]:
    return _rule("source_quality", SOURCE_POINTS.get(data.source, 0), f"Source {data.source}.")


def _completeness(data: ScoreInput) -> dict[str, Any]:
    parts = {
        "name": (3, bool(data.name.strip())),
        "email": (4, bool(data.email)),
        "phone": (4, bool(data.phone)),
        "message": (2, bool(data.message.strip())),
        "budget": (2, data.budget_min is not None or data.budget_max is not None),
    }
    points = sum(weight for weight, present in parts.values() if present)
    missing = [name for name, (_, present) in parts.items() if not present]
    reason = "Complete." if not missing else f"Missing: {', '.join(missing)}."
    return _rule("completeness", points, reason)


def score_lead(data: ScoreInput, *, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    """The score (0-100) and its breakdown, one entry per rule."""
    breakdown = [_budget_fit(data), _engagement(data), _recency(data, now), _source_quality(data), _completeness(data)]
    return sum(item["points"] for item in breakdown), breakdown
