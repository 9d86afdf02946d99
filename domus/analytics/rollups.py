"""Dashboard roll-ups: kept up to date by the domain events, rebuilt by a job, read by
the platform and company dashboards instead of the big tables.

A company's counters (``Rollup`` rows) are recomputed as one partition from the owning
apps' ``*_rollup_rows`` selectors whenever one of its events arrives
(``rollup_refresh``), so a partition always equals a full recount of that company's
rows: nothing is added or subtracted by hand, and a missed or repeated event costs
freshness, never correctness. ``rollup_rebuild`` recomputes every partition (the
``analytics_rollups`` command, the ``rollups_rebuild`` task, the periodic schedule and
the search reindex). A partition never built is built on its first read.

Agents' and owners' dashboards read the source tables through their indexes (their
rows are few); the platform's and companies' dashboards read only roll-ups."""

from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from domus.analytics.models import Rollup, RollupPartition
from domus.core.scope import Period, Scope, companies_q
from domus.crm import selectors as crm
from domus.finance import selectors as finance
from domus.properties import selectors as properties
from domus.sales import selectors as sales

# The whole platform's marker: a partition row that says "every company was rebuilt".
PLATFORM = UUID(int=0)
VERSION_KEY = "analytics:rollups:v:{}"

SOURCES: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "listings": properties.listing_rollup_rows,
    "leads": crm.lead_rollup_rows,
    "deals": sales.deal_rollup_rows,
    "commissions": sales.commission_rollup_rows,
    "payments": finance.payment_rollup_rows,
}
# How each source's roll-up rows turn back into its dashboard rows: the key's fields,
# the currency field, and which measure fills which column.
SHAPES: dict[str, dict[str, Any]] = {
    "listings": {"keys": ("status", "listing_type", "is_published"), "currency": None},
    "leads": {"keys": ("status", "source"), "currency": None},
    "deals": {"keys": ("status",), "currency": "currency"},
    "commissions": {"keys": ("status",), "currency": "currency"},
    "payments": {"keys": ("purpose",), "currency": "currency"},
}


def _objects(rows: Iterable[dict[str, Any]], source: str) -> list[Rollup]:
    return [
        Rollup(
            company_id=row["company_id"],
            source=source,
            measure=row["measure"],
            day=row["day"],
            key=row["key"],
            currency=row["currency"],
            count=row["count"],
            amount=row["amount"],
        )
        for row in rows
    ]


def _bump(company_ids: Iterable[UUID | None]) -> None:
    """New cache versions for these partitions and the platform (cached answers expire)."""
    for company_id in [*company_ids, PLATFORM]:
        key = VERSION_KEY.format(company_id)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)


def versions(company_ids: Iterable[UUID | None]) -> tuple[int, ...]:
    keys = [VERSION_KEY.format(cid) for cid in company_ids]
    found = cache.get_many(keys)
    return tuple(int(found.get(key, 0)) for key in keys)


def _mark(company_ids: Iterable[UUID | None]) -> None:
    now = timezone.now()
    for company_id in company_ids:
        RollupPartition.objects.update_or_create(company_id=company_id, defaults={"built_at": now})


@transaction.atomic
def rollup_refresh(*, company_ids: Iterable[UUID | None]) -> int:
    """Recompute the roll-ups of these companies (``None``: the rows of no company) from
    their rows; answers how many counters they now have."""
    ids = sorted(set(company_ids), key=lambda cid: str(cid or ""))
    if not ids:
        return 0
    # One refresh of a partition at a time: the partition rows are the lock.
    _mark(ids)
    list(RollupPartition.objects.select_for_update().filter(companies_q(ids)).order_by("company_id"))
    Rollup.objects.filter(companies_q(ids)).delete()
    created = 0
    for source, rows_of in SOURCES.items():
        created += len(Rollup.objects.bulk_create(_objects(rows_of(company_ids=ids), source), batch_size=5000))
    transaction.on_commit(lambda: _changed(ids))
    return created


@transaction.atomic
def rollup_rebuild() -> int:
    """Recompute every company's roll-ups from scratch; answers how many counters."""
    list(RollupPartition.objects.select_for_update().order_by("company_id"))
    Rollup.objects.all().delete()
    created, seen = 0, set()
    for source, rows_of in SOURCES.items():
        rows = rows_of(company_ids=None)
        seen.update(row["company_id"] for row in rows)
        created += len(Rollup.objects.bulk_create(_objects(rows, source), batch_size=5000))
    known = set(RollupPartition.objects.values_list("company_id", flat=True)) - {PLATFORM}
    _mark(seen | known | {PLATFORM})
    transaction.on_commit(lambda: _changed(sorted(seen | known, key=lambda cid: str(cid or ""))))
    return created


def _changed(company_ids: list[UUID | None]) -> None:
    from domus.analytics import live

    _bump(company_ids)
    live.numbers_changed(company_ids=company_ids)


def ensure_built(scope: Scope) -> None:
    """Build the partitions a dashboard of ``scope`` reads if they were never built."""
    if scope.kind == "platform":
        if not RollupPartition.objects.filter(company_id=PLATFORM).exists():
            rollup_rebuild()
        return
    wanted = set(scope.company_ids)
    built = set(RollupPartition.objects.filter(company_id__in=wanted).values_list("company_id", flat=True))
    if wanted - built:
        rollup_refresh(company_ids=wanted - built)


def _decode(source: str, key: str) -> dict[str, Any]:
    names = SHAPES[source]["keys"]
    values: list[Any] = key.split("|")
    row = dict(zip(names, values, strict=True))
    if "is_published" in row:
        row["is_published"] = row["is_published"] == "True"
    return row


def rollup_dashboard_rows(*, scope: Scope, period: Period, sources: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each source's dashboard rows (as its app's ``*_dashboard_rows`` answers them) for a
    platform or companies scope, from the roll-ups, in one query."""
    sources = list(sources)
    ensure_built(scope)
    first, last = period.start.date(), (period.end - timedelta(microseconds=1)).date()
    counters = Rollup.objects.filter(source__in=sources).filter(
        Q(measure="state") | Q(day__gte=first, day__lte=last, measure__in=("created", "closed", "paid"))
    )
    if scope.kind != "platform":
        counters = counters.filter(company_id__in=sorted(scope.company_ids))
    totals = (
        counters.order_by().values("source", "measure", "key", "currency").annotate(n=Sum("count"), a=Sum("amount"))
    )
    merged: dict[str, dict[tuple[str, str], dict[str, Any]]] = {source: {} for source in sources}
    for row in totals:
        source = row["source"]
        entry = merged[source].get((row["key"], row["currency"]))
        if entry is None:
            entry = {**_decode(source, row["key"]), "count": 0, "value": Decimal(0), "new": 0, "closed": 0,
                     "closed_value": Decimal(0)}  # fmt: skip
            if SHAPES[source]["currency"]:
                entry["currency"] = row["currency"]
            merged[source][(row["key"], row["currency"])] = entry
        measure, count, amount = row["measure"], row["n"] or 0, row["a"] or Decimal(0)
        if measure == "state" or source in ("commissions", "payments"):
            entry["count"] += count
            entry["value"] += amount
        elif measure == "created":
            entry["new"] += count
        elif measure == "closed":
            entry["closed"] += count
            entry["closed_value"] += amount
    return {source: list(rows.values()) for source, rows in merged.items()}


def rollup_recount(*, company_ids: list[UUID | None] | None = None) -> list[tuple]:
    """The counters a full recount gives now (for checks: equal to the stored roll-ups)."""
    rows = []
    for source, rows_of in SOURCES.items():
        for row in rows_of(company_ids=company_ids):
            rows.append(_identity(source, row))
    return sorted(rows, key=str)


def rollup_stored(*, company_ids: list[UUID | None] | None = None) -> list[tuple]:
    """The stored counters, in the shape of ``rollup_recount``."""
    stored = Rollup.objects.all() if company_ids is None else Rollup.objects.filter(companies_q(company_ids))
    fields = ("company_id", "measure", "day", "key", "currency", "count", "amount")
    return sorted((_identity(r.source, {name: getattr(r, name) for name in fields}) for r in stored), key=str)


def _identity(source: str, row: dict[str, Any]) -> tuple:
    amount = Decimal(row["amount"] or 0).quantize(Decimal("0.01"))
    return (
        source,
        str(row["company_id"]),
        row["measure"],
        str(row["day"]),
        row["key"],
        row["currency"],
        row["count"],
        amount,
    )
