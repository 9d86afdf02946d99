"""Dashboards: who sees what (``caller_scope``), over which period (``resolve_period``),
and the answers, assembled from the other apps' aggregate selectors (never their
models). Each answer costs a fixed number of queries, whatever the data size: one for
the caller's memberships and one per aggregate."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from domus.accounts import selectors as accounts
from domus.audit import selectors as audit
from domus.core.exceptions import PermissionDenied, ValidationFailed
from domus.core.money import money_str
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.core.scope import Period, Scope
from domus.crm import selectors as crm
from domus.finance import selectors as finance
from domus.organizations.selectors import COMPANY_STAFF_ROLES, company_roles, member_dashboard_rows
from domus.properties import selectors as properties
from domus.sales import selectors as sales

NAMED_PERIODS = (
    "today",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_month",
    "this_year",
    "last_12_months",
)
DEFAULT_PERIOD = "last_30_days"
OPEN_LEAD_STATUSES = frozenset({"new", "contacted", "qualified", "proposal", "negotiation"})
OPEN_DEAL_STATUSES = frozenset({"lead", "viewing", "offer", "under_contract"})


def caller_scope(actor: Any) -> Scope:
    """Platform admins: everything; company staff: their companies (where they are staff);
    an agent (no staff membership): their own pipeline; anyone else: their own properties."""
    if is_admin(actor):
        return Scope("platform")
    roles = company_roles(actor)
    staff = frozenset(cid for cid, role in roles.items() if role in COMPANY_STAFF_ROLES)
    if staff:
        return Scope("companies", company_ids=staff, user_id=actor.pk)
    if Role.AGENT in roles.values():
        return Scope("agent", user_id=actor.pk)
    return Scope("owner", user_id=actor.pk)


def _named(name: str, today: date) -> tuple[date, date]:
    days = {"today": 1, "last_7_days": 7, "last_30_days": 30, "last_90_days": 90}
    if name in days:
        return today - timedelta(days=days[name] - 1), today
    if name == "this_month":
        return today.replace(day=1), today
    if name == "this_year":
        return today.replace(month=1, day=1), today
    # last_12_months: from the 1st of the month 11 months ago, this month included
    index = today.year * 12 + today.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1), today


def resolve_period(*, start: date | None, end: date | None, name: str | None) -> tuple[Period, dict[str, Any]]:
    """The period to count over: ``from``..``to`` (inclusive days, UTC; either may be left
    out: ``to`` defaults to today, ``from`` to 29 days before ``to``), or a named period;
    not both. Returns the instants and how to show the period in an answer."""
    if name is not None and (start is not None or end is not None):
        raise ValidationFailed(
            "Give either a named period or from/to dates, not both.",
            errors={"period": ["Cannot be combined with from/to."]},
        )
    today = timezone.now().astimezone(UTC).date()
    if name is not None:
        start, end = _named(name, today)
    else:
        end = end or (today if start is None or start <= today else start)
        start = start or end - timedelta(days=29)
    if start > end:
        raise ValidationFailed("The period starts after it ends.", errors={"from": ["Must be on or before 'to'."]})
    instants = Period(
        start=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        end=datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
    )
    return instants, {"from": start, "to": end, "name": name if name is not None else ("custom" if start else None)}


def _scope_out(scope: Scope) -> dict[str, Any]:
    return {"kind": scope.kind, "company_ids": sorted(scope.company_ids, key=str)}


def _money(rows: list[dict[str, Any]], *, key: str = "value", where=lambda row: True) -> dict[str, str]:
    """``{currency: "amount"}`` over the rows that match, per currency, never summed across."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        if where(row):
            totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(row[key] or 0)
    return {currency: money_str(totals[currency]) for currency in sorted(totals)}


def _count(rows: list[dict[str, Any]], by: str, key: str = "count") -> dict[str, int]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts[str(row[by])] += row[key]
    return dict(sorted(counts.items()))


def _per_currency(rows: list[dict[str, Any]], *, count: str = "count", amount: str = "value") -> list[dict[str, Any]]:
    """``[{currency, count, amount}]`` per currency, by code."""
    totals: dict[str, list] = {}
    for row in rows:
        entry = totals.setdefault(row["currency"], [0, Decimal(0)])
        entry[0] += row[count]
        entry[1] += Decimal(row[amount] or 0)
    return [{"currency": c, "count": totals[c][0], "amount": money_str(totals[c][1])} for c in sorted(totals)]


def _head(scope: Scope, shown: dict[str, Any]) -> dict[str, Any]:
    return {"period": shown, "scope": _scope_out(scope)}


def _listings(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "total": sum(r["count"] for r in rows),
        "published": sum(r["count"] for r in rows if r["is_published"]),
        "new": sum(r["new"] for r in rows),
    }


def _leads(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "total": sum(r["count"] for r in rows),
        "new": sum(r["new"] for r in rows),
        "open": sum(r["count"] for r in rows if r["status"] in OPEN_LEAD_STATUSES),
        "won": sum(r["count"] for r in rows if r["status"] == "won"),
        "lost": sum(r["count"] for r in rows if r["status"] == "lost"),
    }


def _deals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "open": sum(r["count"] for r in rows if r["status"] in OPEN_DEAL_STATUSES),
        "won": sum(r["closed"] for r in rows if r["status"] == "closed_won"),
        "lost": sum(r["closed"] for r in rows if r["status"] == "closed_lost"),
        "pipeline_value": _money(rows, where=lambda r: r["status"] in OPEN_DEAL_STATUSES),
        "won_value": _money(rows, key="closed_value", where=lambda r: r["status"] == "closed_won"),
    }


def overview(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)
    payments = finance.payment_dashboard_rows(scope=scope, period=period)
    return {
        **_head(scope, shown),
        "listings": _listings(properties.listing_dashboard_rows(scope=scope, period=period)),
        "leads": _leads(crm.lead_dashboard_rows(scope=scope, period=period)),
        "deals": _deals(sales.deal_dashboard_rows(scope=scope, period=period)),
        "collected": _money(payments),
    }


def stats(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)
    listings = properties.listing_dashboard_rows(scope=scope, period=period)
    leads = crm.lead_dashboard_rows(scope=scope, period=period)
    deals = sales.deal_dashboard_rows(scope=scope, period=period)
    return {
        **_head(scope, shown),
        "listings_by_status": _count(listings, "status"),
        "leads_by_status": _count(leads, "status"),
        "new_leads_by_source": {k: v for k, v in _count(leads, "source", key="new").items() if v},
        "deals_by_status": _count(deals, "status"),
    }


def revenue(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)
    payments = finance.payment_dashboard_rows(scope=scope, period=period)
    deals = sales.deal_dashboard_rows(scope=scope, period=period)
    commissions = sales.commission_dashboard_rows(scope=scope, period=period)
    won = [r for r in deals if r["status"] == "closed_won"]
    return {
        **_head(scope, shown),
        "collected": _per_currency(payments),
        "collected_by_purpose": [
            {"currency": r["currency"], "purpose": r["purpose"], "count": r["count"], "amount": money_str(r["value"])}
            for r in sorted(payments, key=lambda r: (r["currency"], r["purpose"]))
        ],
        "deals_won": _per_currency(won, count="closed", amount="closed_value"),
        "commissions": [
            {"currency": r["currency"], "status": r["status"], "count": r["count"], "amount": money_str(r["value"])}
            for r in sorted(commissions, key=lambda r: (r["currency"], r["status"]))
        ],
    }


def property_stats(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)
    rows = properties.listing_dashboard_rows(scope=scope, period=period)
    return {
        **_head(scope, shown),
        **_listings(rows),
        "by_status": _count(rows, "status"),
        "by_listing_type": _count(rows, "listing_type"),
    }


def user_stats(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    """Platform admins: every user per platform role; company staff: their companies'
    members per company role. Agents and owners have no user dashboard (403)."""
    scope = caller_scope(actor)
    if scope.kind == "platform":
        rows = accounts.user_dashboard_rows(period=period)
        active = sum(r["count"] for r in rows if r["is_active"])
    elif scope.kind == "companies":
        rows = member_dashboard_rows(company_ids=scope.company_ids, period=period)
        active = sum(r["count"] for r in rows)
    else:
        raise PermissionDenied("Only platform admins and company staff have a user dashboard.")
    return {
        **_head(scope, shown),
        "total": sum(r["count"] for r in rows),
        "active": active,
        "new": sum(r["new"] for r in rows),
        "by_role": _count(rows, "role"),
    }


def activity(*, actor: Any, period: Period) -> Any:
    return audit.audit_activity_for(scope=caller_scope(actor), period=period)


def summary(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)
    leads = crm.lead_dashboard_rows(scope=scope, period=period)
    deals = _deals(sales.deal_dashboard_rows(scope=scope, period=period))
    lead_counts = _leads(leads)
    closed = deals["won"] + deals["lost"]
    return {
        **_head(scope, shown),
        "new_leads": lead_counts["new"],
        "open_leads": lead_counts["open"],
        "lead_conversion_rate": round(lead_counts["won"] / lead_counts["total"], 4) if lead_counts["total"] else 0.0,
        "deals_won": deals["won"],
        "deals_lost": deals["lost"],
        "deal_win_rate": round(deals["won"] / closed, 4) if closed else 0.0,
        "won_value": deals["won_value"],
        "pipeline_value": deals["pipeline_value"],
        "collected": _money(finance.payment_dashboard_rows(scope=scope, period=period)),
    }
