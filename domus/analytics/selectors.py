"""Dashboards: who sees what (``caller_scope``), over which period (``resolve_period``),
and the answers. A platform's or companies' answer is read from the roll-ups
(``domus.analytics.rollups``, one query) and cached until their numbers change; an
agent's or owner's from the other apps' aggregate selectors (never their models), one
grouped query each over the few rows they hold. Each answer costs a fixed number of
queries, whatever the data size."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from domus.accounts import selectors as accounts
from domus.analytics import rollups
from domus.assistant import selectors as assistant
from domus.audit import selectors as audit
from domus.communications import selectors as communications
from domus.core.exceptions import PermissionDenied, ValidationFailed
from domus.core.money import money_str
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.core.scope import Period, Scope
from domus.crm import selectors as crm
from domus.finance import selectors as finance
from domus.leasing import selectors as leasing
from domus.maintenance import selectors as maintenance
from domus.marketing import selectors as marketing
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


LIVE_ROWS = {
    "listings": properties.listing_dashboard_rows,
    "leads": crm.lead_dashboard_rows,
    "deals": sales.deal_dashboard_rows,
    "commissions": sales.commission_dashboard_rows,
    "payments": finance.payment_dashboard_rows,
}


def dashboard_rows(scope: Scope, period: Period, *sources: str) -> dict[str, list[dict[str, Any]]]:
    """Each source's dashboard rows: from the roll-ups for a platform or companies scope,
    from the source tables for an agent or an owner."""
    if scope.kind in ("platform", "companies"):
        return rollups.rollup_dashboard_rows(scope=scope, period=period, sources=sources)
    return {source: LIVE_ROWS[source](scope=scope, period=period) for source in sources}


def _cached(name: str, scope: Scope, shown: dict[str, Any], period: Period, build) -> dict[str, Any]:
    """``build()``, cached for a platform or companies scope until one of its roll-ups
    changes (at most ``ANALYTICS_CACHE_SECONDS``)."""
    if scope.kind not in ("platform", "companies") or settings.ANALYTICS_CACHE_SECONDS <= 0:
        return build()
    ids = [rollups.PLATFORM] if scope.kind == "platform" else sorted(scope.company_ids, key=str)
    stamp = rollups.versions(ids)
    days = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}:{shown.get('name')}"
    key = f"analytics:{name}:{scope.kind}:{','.join(map(str, ids))}:{stamp}:{days}"
    answer = cache.get(key)
    if answer is None:
        answer = build()
        cache.set(key, answer, settings.ANALYTICS_CACHE_SECONDS)
    return answer


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

    def build() -> dict[str, Any]:
        rows = dashboard_rows(scope, period, "listings", "leads", "deals", "payments")
        return {
            **_head(scope, shown),
            "listings": _listings(rows["listings"]),
            "leads": _leads(rows["leads"]),
            "deals": _deals(rows["deals"]),
            "collected": _money(rows["payments"]),
        }

    return _cached("overview", scope, shown, period, build)


def stats(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)

    def build() -> dict[str, Any]:
        rows = dashboard_rows(scope, period, "listings", "leads", "deals")
        return {
            **_head(scope, shown),
            "listings_by_status": _count(rows["listings"], "status"),
            "leads_by_status": _count(rows["leads"], "status"),
            "new_leads_by_source": {k: v for k, v in _count(rows["leads"], "source", key="new").items() if v},
            "deals_by_status": _count(rows["deals"], "status"),
        }

    return _cached("stats", scope, shown, period, build)


def revenue(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)

    def build() -> dict[str, Any]:
        rows = dashboard_rows(scope, period, "payments", "deals", "commissions")
        payments, commissions = rows["payments"], rows["commissions"]
        won = [r for r in rows["deals"] if r["status"] == "closed_won"]
        return {
            **_head(scope, shown),
            "collected": _per_currency(payments),
            "collected_by_purpose": [
                {
                    "currency": r["currency"],
                    "purpose": r["purpose"],
                    "count": r["count"],
                    "amount": money_str(r["value"]),
                }
                for r in sorted(payments, key=lambda r: (r["currency"], r["purpose"]))
            ],
            "deals_won": _per_currency(won, count="closed", amount="closed_value"),
            "commissions": [
                {"currency": r["currency"], "status": r["status"], "count": r["count"], "amount": money_str(r["value"])}
                for r in sorted(commissions, key=lambda r: (r["currency"], r["status"]))
            ],
        }

    return _cached("revenue", scope, shown, period, build)


def property_stats(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    scope = caller_scope(actor)

    def build() -> dict[str, Any]:
        rows = dashboard_rows(scope, period, "listings")["listings"]
        return {
            **_head(scope, shown),
            **_listings(rows),
            "by_status": _count(rows, "status"),
            "by_listing_type": _count(rows, "listing_type"),
        }

    return _cached("properties", scope, shown, period, build)


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

    def build() -> dict[str, Any]:
        rows = dashboard_rows(scope, period, "leads", "deals", "payments")
        deals = _deals(rows["deals"])
        lead_counts = _leads(rows["leads"])
        closed = deals["won"] + deals["lost"]
        total = lead_counts["total"]
        return {
            **_head(scope, shown),
            "new_leads": lead_counts["new"],
            "open_leads": lead_counts["open"],
            "lead_conversion_rate": round(lead_counts["won"] / total, 4) if total else 0.0,
            "deals_won": deals["won"],
            "deals_lost": deals["lost"],
            "deal_win_rate": round(deals["won"] / closed, 4) if closed else 0.0,
            "won_value": deals["won_value"],
            "pipeline_value": deals["pipeline_value"],
            "collected": _money(rows["payments"]),
        }

    return _cached("summary", scope, shown, period, build)


# Engagement, funnel, occupancy, collections and maintenance: one or two grouped queries
# each over the caller's scope (not rolled up: see docs/dashboards.md).


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def engagement(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    """Per channel: marketing touches (sent, opened, clicked, replied, viewings, offers),
    the assistant's conversations, and voice calls."""
    scope = caller_scope(actor)
    channels = []
    for row in sorted(marketing.touch_engagement_rows(scope=scope, period=period), key=lambda r: r["channel"]):
        sent = row["sent"]
        channels.append(
            {
                **row,
                "open_rate": _rate(row["opened"], sent),
                "click_rate": _rate(row["clicked"], sent),
                "reply_rate": _rate(row["replied"], sent),
            }
        )
    chats = assistant.chat_engagement(scope=scope, period=period)
    calls = _count(communications.delivery_engagement_rows(scope=scope, period=period, channel="voice"), "status")
    return {
        **_head(scope, shown),
        "marketing": {"sent": sum(c["sent"] for c in channels), "channels": channels},
        "assistant": {
            "sessions": chats["sessions"],
            "users": chats["users"],
            "questions": chats["questions"],
            "answers": chats["answers"],
            "grounded_rate": _rate(chats["answers"] - chats["ungrounded"], chats["answers"]),
        },
        "voice": {
            "calls": sum(calls.values()),
            "connected": calls.get("delivered", 0),
            "failed": calls.get("failed", 0) + calls.get("refused", 0),
            "by_status": calls,
        },
    }


FUNNEL_STAGES = ("viewing", "offer", "won", "commission")
FUNNEL_STEPS = (
    ("lead_to_viewing", "created", "viewing"),
    ("viewing_to_offer", "viewing", "offer"),
    ("offer_to_won", "offer", "won"),
    ("won_to_commission", "won", "commission"),
)


def _hours(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean": None, "median": None}
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"count": len(ordered), "mean": round(sum(ordered) / len(ordered), 2), "median": round(median, 2)}


def _funnel_row(source: str, leads: int, journeys: list[dict[str, Any]]) -> dict[str, Any]:
    reached = dict.fromkeys(FUNNEL_STAGES, 0)
    spans: dict[str, list[float]] = {name: [] for name, _, _ in FUNNEL_STEPS}
    for journey in journeys:
        for i, stage in enumerate(FUNNEL_STAGES):
            # A lead reached a stage when it reached it or any later one (a deal may skip a viewing).
            if any(journey[later] for later in FUNNEL_STAGES[i:]):
                reached[stage] += 1
        for name, start, end in FUNNEL_STEPS:
            if journey[start] and journey[end] and journey[end] >= journey[start]:
                spans[name].append((journey[end] - journey[start]).total_seconds() / 3600)
    previous = [leads, *(reached[s] for s in FUNNEL_STAGES)]
    return {
        "source": source,
        "leads": leads,
        **reached,
        "conversion": {stage: _rate(reached[stage], leads) for stage in FUNNEL_STAGES},
        "step_conversion": {stage: _rate(reached[stage], previous[i]) for i, stage in enumerate(FUNNEL_STAGES)},
        "hours": {name: _hours(values) for name, values in spans.items()},
    }


def funnel(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    """From lead source to viewing, offer, won deal and commission: the leads that came in
    during the period, how many of them reached each stage, and the hours between stages."""
    scope = caller_scope(actor)
    leads = _count(dashboard_rows(scope, period, "leads")["leads"], "source", key="new")
    journeys: dict[str, list[dict[str, Any]]] = {}
    for row in sales.deal_funnel_rows(scope=scope, period=period):
        journeys.setdefault(row["lead__source"], []).append(
            {
                "created": row["lead__created_at"],
                "viewing": row["viewing_at"],
                "offer": row["offer_at"],
                "won": row["won_at"],
                "commission": row["commission_at"],
            }
        )
    sources = sorted(set(leads) | set(journeys))
    return {
        **_head(scope, shown),
        "stages": ["lead", *FUNNEL_STAGES],
        "total": _funnel_row("all", sum(leads.values()), [j for s in sources for j in journeys.get(s, [])]),
        "sources": [_funnel_row(s, leads.get(s, 0), journeys.get(s, [])) for s in sources if leads.get(s, 0)],
    }


def occupancy(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    """Units per status now (occupancy and vacancy of the lettable ones) and the leases:
    active, rent roll per currency, started and ended during the period."""
    scope = caller_scope(actor)
    units = _count(properties.unit_occupancy_rows(scope=scope), "status")
    total = sum(units.values())
    lettable = total - units.get("sold", 0)
    occupied, vacant = units.get("rented", 0), units.get("available", 0) + units.get("reserved", 0)
    leases: dict[str, dict[str, Any]] = {}
    for row in leasing.lease_occupancy_rows(scope=scope, period=period):
        entry = leases.setdefault(
            row["currency"], {"currency": row["currency"], "active": 0, "rent": Decimal(0), "started": 0, "ended": 0}
        )
        if row["status"] == "active":
            entry["active"] += row["count"]
            entry["rent"] += row["rent"] or 0
        entry["started"] += row["started"]
        entry["ended"] += row["ended"]
    return {
        **_head(scope, shown),
        "units": total,
        "units_by_status": units,
        "lettable": lettable,
        "occupied": occupied,
        "vacant": vacant,
        "occupancy_rate": _rate(occupied, lettable),
        "vacancy_rate": _rate(vacant, lettable),
        "leases": [
            {**{k: v for k, v in entry.items() if k != "rent"}, "rent_roll": money_str(entry["rent"])}
            for _, entry in sorted(leases.items())
        ],
    }


AGING = ("not_due", "days_0_30", "days_31_60", "days_61_90", "days_90_plus")


def collections(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    """Per currency: what was billed during the period and how much of it is collected,
    payments received, and the arrears now by age past the due date."""
    scope = caller_scope(actor)
    today = timezone.now().astimezone(UTC).date()
    received = _money(dashboard_rows(scope, period, "payments")["payments"])
    rows = {r["currency"]: r for r in finance.invoice_collection_rows(scope=scope, period=period, today=today)}
    answer = []
    for currency in sorted(set(rows) | set(received)):
        row = rows.get(currency, {})
        billed, paid = Decimal(row.get("billed_total") or 0), Decimal(row.get("billed_paid") or 0)
        answer.append(
            {
                "currency": currency,
                "billed": row.get("billed", 0),
                "billed_amount": money_str(billed),
                "collected_amount": money_str(paid),
                "collection_rate": round(float(paid / billed), 4) if billed else 0.0,
                "received": received.get(currency, money_str(Decimal(0))),
                "open_invoices": row.get("open", 0),
                "arrears": money_str(Decimal(row.get("outstanding") or 0)),
                "aging": {bucket: money_str(Decimal(row.get(bucket) or 0)) for bucket in AGING},
            }
        )
    return {**_head(scope, shown), "currencies": answer}


UNRESOLVED_END = frozenset({"cancelled", "rejected"})


def _turnaround(priority: str, orders: list[dict[str, Any]]) -> dict[str, Any]:
    def span(end: str) -> list[float]:
        return [(o[end] - o["created_at"]).total_seconds() / 3600 for o in orders if o[end]]

    resolved = [o for o in orders if o["resolved_at"]]
    with_sla = [o for o in resolved if o["resolve_due_at"]]
    return {
        "priority": priority,
        "opened": len(orders),
        "responded": sum(1 for o in orders if o["responded_at"]),
        "resolved": len(resolved),
        "open": sum(1 for o in orders if not o["resolved_at"] and o["status"] not in UNRESOLVED_END),
        "response_hours": _hours(span("responded_at")),
        "resolution_hours": _hours(span("resolved_at")),
        "resolved_within_sla": (
            _rate(sum(1 for o in with_sla if o["resolved_at"] <= o["resolve_due_at"]), len(with_sla))
            if with_sla
            else None
        ),
    }


def maintenance_turnaround(*, actor: Any, period: Period, shown: dict[str, Any]) -> dict[str, Any]:
    """Work orders opened during the period per priority: answered, resolved, still open,
    hours to answer and to resolve (mean, median), and the share resolved within the SLA."""
    scope = caller_scope(actor)
    orders = maintenance.work_order_turnaround_rows(scope=scope, period=period)
    by_priority: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        by_priority.setdefault(order["priority"], []).append(order)
    return {
        **_head(scope, shown),
        "total": _turnaround("all", orders),
        "priorities": [_turnaround(p, rows) for p, rows in sorted(by_priority.items())],
    }
