"""Whose numbers a dashboard shows: a platform admin everything, company staff their
companies, an agent their own pipeline, anyone else (an owner) their own properties.
Apps' aggregate selectors turn a ``Scope`` into a filter on their own fields
(``Scope.q``), so the dashboards never touch another app's models."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

ScopeKind = Literal["platform", "companies", "agent", "owner"]


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    company_ids: frozenset[UUID] = field(default_factory=frozenset)
    user_id: UUID | None = None

    def q(self, *, company: str = "company_id", agent: Sequence[str] = (), owner: Sequence[str] = ()) -> Q:
        """The rows in scope: ``agent``/``owner`` name the fields that hold the user
        in that role (any of them matches); with none given, that role sees nothing."""
        if self.kind == "platform":
            return Q()
        if self.kind == "companies":
            return Q(**{f"{company}__in": sorted(self.company_ids)})
        fields = agent if self.kind == "agent" else owner
        condition = Q(pk__in=[])
        for name in fields:
            condition |= Q(**{name: self.user_id})
        return condition


@dataclass(frozen=True)
class Period:
    """A half-open interval of instants, ``[start, end)``."""

    start: datetime
    end: datetime

    def q(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.start, f"{name}__lt": self.end})


def companies_q(company_ids: Iterable[UUID | None], *, field: str = "company_id") -> Q:
    """The rows of these companies; ``None`` among them stands for the rows of no company."""
    given = list(company_ids)
    ids = [cid for cid in given if cid is not None]
    condition = Q(**{f"{field}__in": ids})
    if len(ids) != len(given):
        condition |= Q(**{f"{field}__isnull": True})
    return condition


def rollup_rows(
    rows: QuerySet,
    *,
    company_ids: Iterable[UUID | None] | None,
    keys: Sequence[str],
    measures: dict[str, tuple[str | None, Q]],
    currency: str | None = None,
    amount: str | None = None,
) -> list[dict[str, Any]]:
    """Counters of ``rows`` for the dashboards' roll-ups, per company (all with
    ``company_ids=None``), grouping values (``keys``, joined by ``|``) and currency: for
    each measure ``name: (day_field, condition)``, the rows matching ``condition``
    counted (and ``amount`` summed) per UTC day of ``day_field``, or, with no day field,
    in total (one grouped query per measure)."""
    if company_ids is not None:
        rows = rows.filter(companies_q(list(company_ids)))
    answer: list[dict[str, Any]] = []
    for measure, (day_field, condition) in measures.items():
        fields = ["company_id", *keys, *([currency] if currency else [])]
        query = rows.filter(condition).order_by()
        if day_field:
            query = query.annotate(rollup_day=TruncDate(day_field, tzinfo=UTC))
            fields.append("rollup_day")
        totals: dict[str, Any] = {"count": Count("pk")}
        if amount:
            totals["amount"] = Sum(amount)
        for row in query.values(*fields).annotate(**totals):
            answer.append(
                {
                    "company_id": row["company_id"],
                    "measure": measure,
                    "day": row.get("rollup_day"),
                    "key": "|".join(str(row[name]) for name in keys),
                    "currency": row[currency] if currency else "",
                    "count": row["count"],
                    "amount": row.get("amount") or 0,
                }
            )
    return answer
