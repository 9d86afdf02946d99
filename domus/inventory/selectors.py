"""Reads of the catalog, spare parts, stock, entries, the ledger, serials, price logs,
the settings and the valuation report, scoped to what the actor may see.

The catalog and spare parts are the platform's, readable by everyone (units and qualities
by signed-in users). Stock, entries, the ledger, serials, price logs and the settings are
platform admins' (the back office's ``system_admin``)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F, Model, OuterRef, Q, QuerySet, Subquery, Sum

from domus.core.exceptions import NotFound, ValidationFailed
from domus.core.filtering import filter_list, last_instant
from domus.core.policies import is_admin
from domus.inventory.models import (
    InventoryConfig,
    PriceLog,
    Reservation,
    Serial,
    SparePart,
    Stock,
    StockEntry,
    StockLedgerEntry,
    ValuationLayer,
)
from domus.organizations.selectors import branch_get_for_actor, default_company_id


@dataclass(frozen=True)
class CatalogListing:
    """How a catalog resource is listed: query parameters mapped to lookups, searched and
    ordered fields."""

    lookups: Mapping[str, str] = field(default_factory=dict)
    search: Sequence[str] = ("name", "slug", "description")
    ordering: Sequence[str] = ("name", "created_at", "updated_at")
    default: Sequence[str] = ("name", "pk")
    related: Sequence[str] = ()


def catalog_list(*, model: type[Model], listing: CatalogListing, filters: Any) -> QuerySet:
    queryset = model.objects.all()
    if listing.related:
        queryset = queryset.select_related(*listing.related)
    for name, lookup in listing.lookups.items():
        value = getattr(filters, name, None)
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    return filter_list(
        queryset,
        filters,
        search_fields=listing.search,
        ordering_fields=listing.ordering,
        default_ordering=listing.default,
    )


def catalog_get(*, model: type[Model], key_field: str, key: Any) -> Model:
    row = model.objects.filter(**{key_field: key}).first()
    if row is None:
        raise NotFound(f"{model._meta.verbose_name.capitalize()} not found.")
    return row


def rows_exist(model: type[Model], pk: Any) -> bool:
    return model.objects.filter(pk=pk).exists()


# Stock --------------------------------------------------------------------------------


def stock_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Stock]:
    queryset = Stock.objects.all() if is_admin(actor) else Stock.objects.none()
    if filters.low:
        queryset = queryset.filter(reorder_level__isnull=False, on_hand__lte=F("reorder_level"))
    return filter_list(
        queryset,
        filters,
        exact_fields=("part_id", "branch_id", "company_id"),
        search_fields=["part__part_number", "part__name"],
        ordering_fields=["on_hand", "reserved", "value", "created_at", "updated_at"],
        default_ordering=["part_id", "branch_id"],
    )


def stock_get_for_actor(*, actor: Any, stock_id: UUID) -> Stock:
    stock = (Stock.objects.all() if is_admin(actor) else Stock.objects.none()).filter(pk=stock_id).first()
    if stock is None:
        raise NotFound("Stock row not found.")
    return stock


def stock_of_part(*, part_id: UUID) -> QuerySet[Stock]:
    """A part's stock at every branch holding (or having held) it: one index lookup."""
    return Stock.objects.filter(part_id=part_id).order_by("branch_id")


def stock_row(*, part_id: UUID, branch_id: UUID) -> Stock | None:
    return Stock.objects.filter(part_id=part_id, branch_id=branch_id).first()


def stocks_for_update(keys: Sequence[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], Stock]:
    """The stock rows of ``keys`` (part, branch), locked in (part, branch) order: every
    posting takes its locks in that one order, so two postings never wait on each other
    in a cycle."""
    condition = Q()
    for part_id, branch_id in keys:
        condition |= Q(part_id=part_id, branch_id=branch_id)
    rows = Stock.objects.select_for_update().filter(condition).order_by("part_id", "branch_id")
    return {(row.part_id, row.branch_id): row for row in rows}


def open_layers_for_update(*, part_id: UUID, branch_id: UUID) -> QuerySet[ValuationLayer]:
    return (
        ValuationLayer.objects.select_for_update()
        .filter(part_id=part_id, branch_id=branch_id, remaining__gt=0)
        .order_by("created_at", "id")
    )


def parts_by_id(part_ids: Sequence[UUID]) -> dict[UUID, SparePart]:
    return {part.pk: part for part in SparePart.objects.filter(pk__in=part_ids)}


# Entries and the ledger -------------------------------------------------------------------


def _admin_only(queryset: QuerySet, actor: Any) -> QuerySet:
    return queryset if is_admin(actor) else queryset.none()


def entry_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[StockEntry]:
    return filter_list(
        _admin_only(StockEntry.objects.prefetch_related("lines"), actor),
        filters,
        exact_fields=("kind", "status", "company_id", "branch_id", "job_id"),
        search_fields=["reference", "notes"],
        ordering_fields=["created_at", "updated_at", "posted_at"],
    )


def entry_get_for_actor(*, actor: Any, entry_id: UUID) -> StockEntry:
    entry = _admin_only(StockEntry.objects.prefetch_related("lines"), actor).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("Stock entry not found.")
    return entry


def entry_for_update(entry_id: UUID) -> StockEntry:
    return StockEntry.objects.select_for_update().get(pk=entry_id)


def ledger_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[StockLedgerEntry]:
    queryset = _admin_only(StockLedgerEntry.objects.all(), actor)
    for name in ("part_id", "branch_id", "company_id", "entry_id", "kind"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    return queryset.order_by("-id")


def ledger_get_for_actor(*, actor: Any, ledger_id: int) -> StockLedgerEntry:
    row = _admin_only(StockLedgerEntry.objects.all(), actor).filter(pk=ledger_id).first()
    if row is None:
        raise NotFound("Ledger entry not found.")
    return row


# Serials, price logs, reservations ----------------------------------------------------------


def serial_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Serial]:
    return filter_list(
        _admin_only(Serial.objects.all(), actor),
        filters,
        exact_fields=("part_id", "status", "branch_id", "fitted_to_id"),
        search_fields=["serial_number"],
        ordering_fields=["serial_number", "created_at", "updated_at", "warranty_end"],
        default_ordering=["part_id", "serial_number"],
    )


def serial_get_for_actor(*, actor: Any, serial_id: UUID) -> Serial:
    serial = _admin_only(Serial.objects.all(), actor).filter(pk=serial_id).first()
    if serial is None:
        raise NotFound("Serial not found.")
    return serial


def serials_named(*, part_id: UUID, numbers: Sequence[str]) -> QuerySet[Serial]:
    return Serial.objects.filter(part_id=part_id, serial_number__in=numbers)


def price_log_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[PriceLog]:
    queryset = _admin_only(PriceLog.objects.all(), actor)
    for name in ("resource_type", "resource_id", "field"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    return queryset.order_by("-id")


def price_log_get_for_actor(*, actor: Any, log_id: int) -> PriceLog:
    row = _admin_only(PriceLog.objects.all(), actor).filter(pk=log_id).first()
    if row is None:
        raise NotFound("Price log not found.")
    return row


def reservation_get(*, reservation_id: UUID) -> Reservation:
    reservation = Reservation.objects.filter(pk=reservation_id).first()
    if reservation is None:
        raise NotFound("Reservation not found.")
    return reservation


def reservation_for_update(reservation_id: UUID) -> Reservation:
    return Reservation.objects.select_for_update().get(pk=reservation_id)


def reservations_of_job(*, job_id: UUID) -> QuerySet[Reservation]:
    return Reservation.objects.filter(job_id=job_id).order_by("created_at", "id")


def job_parts_cost(*, job_id: UUID) -> dict[str, Decimal]:
    """What the parts issued to a maintenance job cost, per currency: the stock value that
    left the shelves on its posted issue entries (FIFO cost), less anything returned."""
    rows = (
        StockLedgerEntry.objects.filter(entry__job_id=job_id)
        .values_list("currency")
        .annotate(value=Sum("value_change"))
        .order_by("currency")
    )
    return {currency: -value for currency, value in rows if value}


# Settings ------------------------------------------------------------------------------------


def company_for(actor: Any, company_id: UUID | None) -> UUID:
    """The company a settings read, a valuation report or a new entry is for."""
    chosen = company_id or default_company_id(actor)
    if chosen is None:
        raise NotFound(
            "No default company: say which.", errors={"company_id": ["Required: there is no default company."]}
        )
    return chosen


def config_of(company_id: UUID) -> InventoryConfig:
    """The company's settings, or the defaults (unsaved) when it never set any."""
    return InventoryConfig.objects.filter(company_id=company_id).first() or InventoryConfig(company_id=company_id)


def company_has_ledger(company_id: UUID) -> bool:
    return StockLedgerEntry.objects.filter(company_id=company_id).exists()


def branch_of_company(*, actor: Any, branch_id: UUID, company_id: UUID | None, field: str) -> Any:
    """A live branch (of ``company_id`` when given): a 404 naming ``field`` when there is
    none, a 400 when it is another company's."""
    try:
        branch = branch_get_for_actor(actor=actor, branch_id=branch_id)
    except NotFound:
        raise NotFound("Unknown branch.", errors={field: ["No such branch."]}) from None
    if company_id is not None and branch.company_id != company_id:
        raise ValidationFailed("The branch is another company's.", errors={field: ["Not a branch of this company."]})
    return branch


# Valuation -----------------------------------------------------------------------------------


def valuation_rows(
    *, company_id: UUID, at: date | datetime | None, branch_id: UUID | None = None, part_id: UUID | None = None
) -> Any:
    """Quantity and value of each (part, branch) of the company as they stood at ``at`` (the
    end of that day for a date): the pair's last ledger row at or before that instant (the
    rows of one pair are written under its stock row's lock, so their times only grow).
    Now, the stock rows themselves hold the answer (a queryset); at a date, a list."""
    if at is None:
        queryset = Stock.objects.filter(company_id=company_id).exclude(on_hand=0, value=0)
        if branch_id:
            queryset = queryset.filter(branch_id=branch_id)
        if part_id:
            queryset = queryset.filter(part_id=part_id)
        return queryset.order_by("part__part_number", "branch_id").values(
            "part_id",
            "branch_id",
            "currency",
            part_number=F("part__part_number"),
            quantity=F("on_hand"),
            amount=F("value"),
        )
    instant = last_instant(at)
    if connection.vendor == "postgresql":
        return _valuation_rows_lateral(company_id=company_id, instant=instant, branch_id=branch_id, part_id=part_id)
    pairs = Stock.objects.filter(company_id=company_id)
    if branch_id:
        pairs = pairs.filter(branch_id=branch_id)
    if part_id:
        pairs = pairs.filter(part_id=part_id)
    last_ids = pairs.annotate(
        last_id=Subquery(
            StockLedgerEntry.objects.filter(
                part_id=OuterRef("part_id"), branch_id=OuterRef("branch_id"), created_at__lte=instant
            )
            .order_by("-created_at", "-id")
            .values("id")[:1]
        )
    ).values("last_id")
    return list(
        StockLedgerEntry.objects.filter(id__in=last_ids)
        .exclude(qty_after=0, value_after=0)
        .order_by("part__part_number", "branch_id")
        .values(
            "part_id",
            "branch_id",
            "currency",
            part_number=F("part__part_number"),
            quantity=F("qty_after"),
            amount=F("value_after"),
        )
    )


VALUATION_AT_SQL = """
SELECT s.part_id, s.branch_id, l.currency, p.part_number, l.qty_after, l.value_after
FROM inventory_stock s
JOIN inventory_sparepart p ON p.id = s.part_id
CROSS JOIN LATERAL (
    SELECT qty_after, value_after, currency FROM inventory_stockledgerentry e
    WHERE e.part_id = s.part_id AND e.branch_id = s.branch_id AND e.created_at <= %(instant)s
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT 1
) l
WHERE s.company_id = %(company_id)s
  AND (%(branch_id)s::uuid IS NULL OR s.branch_id = %(branch_id)s::uuid)
  AND (%(part_id)s::uuid IS NULL OR s.part_id = %(part_id)s::uuid)
  AND NOT (l.qty_after = 0 AND l.value_after = 0)
ORDER BY p.part_number, s.branch_id
"""
VALUATION_KEYS = ("part_id", "branch_id", "currency", "part_number", "quantity", "amount")


def _valuation_rows_lateral(
    *, company_id: UUID, instant: datetime, branch_id: UUID | None, part_id: UUID | None
) -> list[dict[str, Any]]:
    """On PostgreSQL: per stock row, one backward probe of the ledger index (part, branch,
    created_at, id) for the last row at that instant (a LATERAL join)."""
    params = {"instant": instant, "company_id": company_id, "branch_id": branch_id, "part_id": part_id}
    with connection.cursor() as cursor:
        cursor.execute(VALUATION_AT_SQL, params)
        return [dict(zip(VALUATION_KEYS, row, strict=True)) for row in cursor.fetchall()]


def valuation_totals(rows: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
    return totals
