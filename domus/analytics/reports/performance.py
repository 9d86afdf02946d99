"""The operational performance pack: for a period and a scope (a company, a branch, an
agent, an owner's properties), the pipeline (leads, viewings, offers, closings,
commissions), the money (collections, arrears aging) and maintenance turnaround.

``performance_pack_build`` is a plain service that reports its progress through a
callback (``progress(done, total, step)``), so the same builder answers the API at once
and runs as a background job (``domus.analytics.tasks.performance_pack_deliver``) for
large scopes. Each section reads through its app's scoped selector, then narrows to the
scope; one aggregate query per section."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum

from domus.analytics.reports import pm
from domus.core.exceptions import ValidationFailed
from domus.core.money import money_str
from domus.crm import selectors as crm
from domus.finance import selectors as finance
from domus.maintenance import selectors as maintenance
from domus.organizations import selectors as organizations
from domus.properties.selectors import visits
from domus.sales import selectors as sales

Progress = Callable[[int, int, str], None]
MAX_PERIOD_DAYS = 3 * 366

# Per section: the field holding the company, the agent(s) and the owner of each row.
FIELDS: dict[str, dict[str, Any]] = {
    "leads": {"company": "company_id", "agent": ("assigned_agent_id",), "owner": "listing__owner_id"},
    "viewings": {"company": "listing__company_id", "agent": ("agent_id",), "owner": "listing__owner_id"},
    "offers": {"company": "company_id", "agent": ("listing__agent_id",), "owner": "listing__owner_id"},
    "closings": {
        "company": "company_id",
        "agent": ("listing_agent_id", "selling_agent_id"),
        "owner": "listing__owner_id",
    },
    "commissions": {"company": "company_id", "agent": ("agent_id",), "owner": "deal__listing__owner_id"},
    "collections": {"company": "company_id", "agent": ("listing__agent_id",), "owner": "listing__owner_id"},
    "maintenance": {"company": "company_id", "agent": (), "owner": "listing__owner_id", "branch": "branch_id"},
}


@dataclass(frozen=True)
class PackScope:
    kind: str
    company_id: UUID | None = None
    branch_id: UUID | None = None
    user_ids: tuple[UUID, ...] = field(default_factory=tuple)

    def q(self, section: str) -> Q:
        names = FIELDS[section]
        condition = Q()
        if self.company_id is not None:
            condition &= Q(**{names["company"]: self.company_id})
        if self.kind == "branch" and section == "maintenance":
            return condition & Q(branch_id=self.branch_id)
        if self.kind in ("branch", "agent"):
            agents = Q(pk__in=[])
            for name in names["agent"]:
                agents |= Q(**{f"{name}__in": self.user_ids})
            condition &= agents
        if self.kind == "owner":
            condition &= Q(**{f"{names['owner']}__in": self.user_ids})
        return condition

    def out(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "company_id": None if self.company_id is None else str(self.company_id),
            "branch_id": None if self.branch_id is None else str(self.branch_id),
            "user_id": str(self.user_ids[0]) if self.kind in ("agent", "owner") and self.user_ids else None,
        }


def pack_scope(*, actor: Any, kind: str, company_id=None, branch_id=None, agent_id=None, owner_id=None) -> PackScope:
    """The scope asked for; a branch must be one the caller sees (404 otherwise). What
    the caller may see is still decided by each app's selector: a scope only narrows."""
    if kind == "branch":
        if branch_id is None:
            raise ValidationFailed(
                "A branch scope needs branch_id.", errors={"branch_id": ["Required for scope branch."]}
            )
        branch = organizations.branch_get_for_actor(actor=actor, branch_id=branch_id)
        members = tuple(branch.members.values_list("user_id", flat=True).order_by("user_id"))
        return PackScope("branch", company_id=branch.company_id, branch_id=branch.pk, user_ids=members)
    if kind == "agent":
        return PackScope("agent", company_id=company_id, user_ids=(agent_id or actor.pk,))
    if kind == "owner":
        return PackScope("owner", company_id=company_id, user_ids=(owner_id or actor.pk,))
    return PackScope("company", company_id=company_id)


def _per_currency(rows, amount: str = "amount") -> list[dict[str, Any]]:
    return [
        {"currency": r["currency"], "count": r["count"], "amount": money_str(r[amount] or Decimal(0))}
        for r in sorted(rows, key=lambda r: r["currency"])
    ]


def _instants(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=UTC
    )


def performance_pack_build(
    *, actor: Any, start: date, end: date, scope: PackScope, progress: Progress | None = None
) -> dict[str, Any]:
    """The pack (module docstring). ``progress(done, total, step)`` is called after each
    section."""
    if start > end:
        raise ValidationFailed("The period starts after it ends.", errors={"from": ["Must be on or before 'to'."]})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("The period is too long.", errors={"from": ["The period may span 3 years at most."]})
    low, high = _instants(start, end)
    steps: list[tuple[str, Callable[[], Any]]] = []
    pack: dict[str, Any] = {"period": {"from": start, "to": end}, "scope": scope.out()}

    def leads() -> dict[str, Any]:
        rows = (
            crm.lead_visible_to(actor).filter(scope.q("leads"), created_at__gte=low, created_at__lt=high)
            .values_list("source", "status").annotate(n=Count("id")).order_by()
        )  # fmt: skip
        by_source: dict[str, int] = {}
        total = won = 0
        for source, status, n in rows:
            by_source[source] = by_source.get(source, 0) + n
            total += n
            won += n if status == "won" else 0
        return {"new": total, "won": won, "by_source": dict(sorted(by_source.items()))}

    def viewings() -> dict[str, int]:
        rows = dict(
            visits.visit_visible_to(actor).filter(scope.q("viewings"), starts_at__gte=low, starts_at__lt=high)
            .values_list("status").annotate(n=Count("id")).order_by()
        )  # fmt: skip
        return {"total": sum(rows.values()), **dict(sorted(rows.items()))}

    def offers() -> dict[str, int]:
        rows = dict(
            sales.offer_visible_to(actor).filter(scope.q("offers"), created_at__gte=low, created_at__lt=high)
            .values_list("status").annotate(n=Count("id")).order_by()
        )  # fmt: skip
        return {"total": sum(rows.values()), **dict(sorted(rows.items()))}

    def closings() -> list[dict[str, Any]]:
        return _per_currency(
            sales.deal_visible_to(actor)
            .filter(scope.q("closings"), status="closed_won", closed_at__gte=low, closed_at__lt=high)
            .values("currency").annotate(count=Count("id"), amount=Sum("amount")).order_by()
        )  # fmt: skip

    def commissions() -> list[dict[str, Any]]:
        return _per_currency(
            sales.commission_visible_to(actor)
            .filter(scope.q("commissions"), created_at__gte=low, created_at__lt=high)
            .values("currency").annotate(count=Count("id"), amount=Sum("amount")).order_by()
        )  # fmt: skip

    def collections() -> list[dict[str, Any]]:
        return _per_currency(
            finance.payment_visible_to(actor)
            .filter(scope.q("collections"), status="paid", paid_at__gte=low, paid_at__lt=high)
            .values("currency").annotate(count=Count("id"), amount=Sum("amount")).order_by()
        )  # fmt: skip

    def arrears() -> list[dict[str, Any]]:
        owner_id = scope.user_ids[0] if scope.kind == "owner" else None
        return pm.arrears(actor=actor, as_of=end, company_id=scope.company_id, owner_id=owner_id)["totals"]

    def turnaround() -> dict[str, Any]:
        queryset = maintenance.work_order_visible_to(actor).filter(scope.q("maintenance"))
        opened = queryset.filter(created_at__gte=low, created_at__lt=high).count()
        hours = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
        done = queryset.filter(resolved_at__gte=low, resolved_at__lt=high).aggregate(
            n=Count("id"), mean=Avg(hours), late=Count("id", filter=Q(resolve_due_at__lt=F("resolved_at")))
        )
        mean = done["mean"]
        return {
            "opened": opened,
            "resolved": done["n"],
            "mean_hours_to_resolve": None if mean is None else round(mean.total_seconds() / 3600, 2),
            "resolved_late": done["late"],
        }

    steps = [
        ("leads", leads),
        ("viewings", viewings),
        ("offers", offers),
        ("closings", closings),
        ("commissions", commissions),
        ("collections", collections),
        ("arrears", arrears),
        ("maintenance", turnaround),
    ]
    for done, (name, build) in enumerate(steps, start=1):
        pack[name] = build()
        if progress is not None:
            progress(done, len(steps), name)
    return pack


def performance_tables(pack: dict[str, Any]) -> list[dict[str, Any]]:
    """The pack as titled tables (PDF), with a bar chart for each count section."""
    money = ("currency", "count", "amount")

    def counts(title: str, values: dict[str, int]) -> dict[str, Any]:
        items = [(k, v) for k, v in values.items() if k != "total"]
        return {"title": title, "header": ("", "count"), "rows": list(values.items()), "chart": items}

    def amounts(title: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"title": title, "header": money, "rows": [(r["currency"], r["count"], r["amount"]) for r in rows]}

    leads = pack["leads"]
    return [
        counts("Leads by source", {"total": leads["new"], "won": leads["won"], **leads["by_source"]}),
        counts("Viewings by status", pack["viewings"]),
        counts("Offers by status", pack["offers"]),
        amounts("Closings (deals won)", pack["closings"]),
        amounts("Commissions", pack["commissions"]),
        amounts("Collections (payments received)", pack["collections"]),
        {
            "title": "Arrears aging",
            "header": ("currency", "current", "0-30", "31-60", "61-90", "90+", "total"),
            "rows": [
                (
                    t["currency"],
                    t["current"],
                    t["days_0_30"],
                    t["days_31_60"],
                    t["days_61_90"],
                    t["days_90_plus"],
                    t["total"],
                )
                for t in pack["arrears"]
            ],
        },
        {"title": "Maintenance turnaround", "header": ("", "value"), "rows": list(pack["maintenance"].items())},
    ]
