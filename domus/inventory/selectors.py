"""Reads of the catalog, spare parts, stock, entries, the ledger, serials, price logs,
the settings and the valuation report, scoped to what the actor may see.

The catalog and spare parts are the platform's, readable by everyone (units and qualities
by signed-in users). Stock, entries, the ledger, serials, price logs and the settings are
platform admins' (the back office's ``system_admin``)."""

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Sum, Value, When

from domus.core.compiled import PkQuery
from domus.core.copy_out import BLOCK, copy_csv_parts
from domus.core.exceptions import NotFound, ValidationFailed
from domus.core.filtering import filter_list, last_instant
from domus.core.policies import is_admin
from domus.inventory.models import (
    InventoryConfig,
    PriceLog,
    Reservation,
    Serial,
    SerialFitting,
    SparePart,
    Stock,
    StockEntry,
    StockLedgerEntry,
    ValuationLayer,
)
from domus.organizations.selectors import branch_visible_to, default_company_id


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


PART_STOCK_FIELDS = (
    "stock__id",
    "stock__part_id",
    "stock__branch_id",
    "stock__company_id",
    "stock__on_hand",
    "stock__reserved",
    "stock__value",
    "stock__currency",
    "stock__reorder_level",
    "stock__updated_at",
)


# The stock desk's hot read, compiled to SQL once (``domus.core.compiled``).
_PART_STOCK = PkQuery(
    lambda pk: SparePart.objects.filter(pk=pk).order_by("stock__branch_id").values_list(*PART_STOCK_FIELDS)
)


def part_stock_values(*, part_id: UUID) -> list[tuple] | None:
    """A part's stock at every branch as plain values (the columns of
    ``PART_STOCK_FIELDS``), in one query that also says whether the part exists: the
    part by its primary key, left-joined to its stock rows through the (part, branch)
    index. ``None``: no such part; ``[]``: a part holding no stock anywhere."""
    rows = _PART_STOCK.values(part_id)
    if not rows:
        return None
    return [row for row in rows if row[0] is not None]


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


def open_layers_for_update(
    *, part_id: UUID, branch_id: UUID, own_entry_id: UUID | None = None
) -> QuerySet[ValuationLayer]:
    """The open FIFO layers of a pair, oldest first, locked; with ``own_entry_id`` (the
    entry a reversal undoes) the layers that entry made come first, whatever their age."""
    layers = ValuationLayer.objects.select_for_update().filter(part_id=part_id, branch_id=branch_id, remaining__gt=0)
    if own_entry_id is None:
        return layers.order_by("created_at", "id")
    own = StockLedgerEntry.objects.filter(entry_id=own_entry_id, part_id=part_id, branch_id=branch_id).values("id")
    return layers.annotate(
        own=Case(When(ledger_id__in=Subquery(own), then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("own", "created_at", "id")


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


def fittings_visible(
    *, company_ids: Sequence[UUID] | None, listing_ids: Sequence[UUID] = ()
) -> QuerySet[SerialFitting]:
    """Serial fittings of ``company_ids`` (None: every company) or at ``listing_ids``,
    newest first, with their serial and part."""
    queryset = SerialFitting.objects.select_related("serial", "part").order_by("-fitted_at", "-id")
    if company_ids is None:
        return queryset
    return queryset.filter(Q(company_id__in=list(company_ids)) | Q(listing_id__in=list(listing_ids)))


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


def branch_company_id(*, actor: Any, branch_id: UUID, company_id: UUID | None, field: str) -> UUID:
    """The company of a live branch the actor may see (of ``company_id`` when given): a
    404 naming ``field`` when there is none, a 400 when it is another company's. One
    column read (a posting needs nothing else of the branch)."""
    found = branch_visible_to(actor).filter(pk=branch_id).values_list("company_id", flat=True).first()
    if found is None:
        raise NotFound("Unknown branch.", errors={field: ["No such branch."]})
    if company_id is not None and found != company_id:
        raise ValidationFailed("The branch is another company's.", errors={field: ["Not a branch of this company."]})
    return found


# Valuation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuationScope:
    """Which stock a valuation report covers: a company's, at an instant (``None``: now),
    optionally one branch or one part."""

    company_id: UUID
    instant: datetime | None = None
    branch_id: UUID | None = None
    part_id: UUID | None = None

    @classmethod
    def of(
        cls, *, company_id: UUID, at: date | datetime | None, branch_id: UUID | None = None, part_id: UUID | None = None
    ) -> "ValuationScope":
        return cls(company_id, None if at is None else last_instant(at), branch_id, part_id)

    def narrow(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.filter(company_id=self.company_id)
        if self.branch_id:
            queryset = queryset.filter(branch_id=self.branch_id)
        if self.part_id:
            queryset = queryset.filter(part_id=self.part_id)
        return queryset


VALUATION_KEYS = ("part_id", "part_number", "branch_id", "quantity", "amount", "currency")


def valuation_totals(scope: ValuationScope) -> dict[str, Decimal]:
    """The value per currency, summed by the database: now, the stock rows; at an instant,
    the stock rows less every movement posted after it (postings are never backdated, so
    what came after is exactly the ledger rows written after). Currencies totalling zero
    are left out."""
    now, since = valuation_total_queries(scope)
    totals = {row["currency"]: row["total"] for row in now}
    for row in since if since is not None else ():
        totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) - row["total"]
    return {currency: Decimal(totals[currency]) for currency in sorted(totals) if totals[currency]}


def valuation_total_queries(scope: ValuationScope) -> tuple[QuerySet, QuerySet | None]:
    """The stock's value per currency now, and (at an instant) the value posted since."""
    now = scope.narrow(Stock.objects.all()).values("currency").annotate(total=Sum("value")).order_by()
    if scope.instant is None:
        return now, None
    since = (
        scope.narrow(StockLedgerEntry.objects.filter(created_at__gt=scope.instant))
        .values("currency")
        .annotate(total=Sum("value_change"))
        .order_by()
    )
    return now, since


VALUATION_NOW_SQL = """
SELECT s.part_id, p.part_number, s.branch_id, s.on_hand AS quantity, s.value, s.currency
FROM inventory_sparepart p
CROSS JOIN LATERAL (
    SELECT * FROM inventory_stock s WHERE s.part_id = p.id OFFSET 0  -- kept a per-part lookup, not a hash join
) s
WHERE s.company_id = {company_id}{narrow}
  AND NOT (s.on_hand = 0 AND s.value = 0)
"""
# a stock row's last ledger row at an instant: one backward probe of the ledger's (part,
# branch, created_at, id) index, answered from the index alone
LEDGER_AT_SQL = """CROSS JOIN LATERAL (
    SELECT qty_after, value_after, currency FROM inventory_stockledgerentry e
    WHERE e.part_id = s.part_id AND e.branch_id = s.branch_id AND e.created_at <= {instant}
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT 1
) l"""
VALUATION_AT_SQL = """
SELECT s.part_id, p.part_number, s.branch_id, l.qty_after AS quantity, l.value_after AS value, l.currency
FROM inventory_stock s
JOIN inventory_sparepart p ON p.id = s.part_id
{ledger}
WHERE s.company_id = {company_id}{narrow}
  AND NOT (l.qty_after = 0 AND l.value_after = 0)
"""


def valuation_sql(scope: ValuationScope, after: tuple[str, UUID] | None, limit: int | None) -> tuple[str, list]:
    """The report's rows as one PostgreSQL query, ordered by part number and branch, read
    part by part along the parts' ``part_number`` index (never one big sort): now, the
    stock rows of each part; at an instant, per stock row one backward probe of the ledger's
    (part, branch, created_at, id) index, answered from the index alone (a LATERAL join).
    ``after`` continues from a row (keyset: the parts' ``part_number`` index is walked
    in order, nothing before it is read)."""
    params: list[Any] = []
    narrow = ""
    if scope.branch_id:
        narrow += " AND s.branch_id = %s"
        params.append(scope.branch_id)
    if scope.part_id:
        narrow += " AND s.part_id = %s"
        params.append(scope.part_id)
    if after is not None:
        narrow += " AND p.part_number >= %s AND (p.part_number > %s OR s.branch_id > %s)"
        params += [after[0], after[0], after[1]]
    if scope.instant is None:
        sql = VALUATION_NOW_SQL.format(company_id="%s", narrow=narrow)
        params = [scope.company_id, *params]
    else:
        sql = VALUATION_AT_SQL.format(ledger=LEDGER_AT_SQL.format(instant="%s"), company_id="%s", narrow=narrow)
        params = [scope.instant, scope.company_id, *params]
    sql += "ORDER BY p.part_number, s.branch_id"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return sql, params


# The whole report for the CSV: the same rows in the same order, never sorted. The parts
# are read in part-number order (a subquery with its own ORDER BY: their unique index, so
# every plan of the outer query gets them in that order) and each part's stock rows in
# branch order (the (part, branch) unique index); the joins are LATERAL, nested loops that
# keep the outer order, so ``ORDER BY p.part_number`` is already satisfied. The pages'
# query sorts each part's rows by branch (an Incremental Sort: about a fifth of the
# database's CPU for the million rows); here the planner is told not to sort at all
# (``enable_sort = off``: the part-number and (part, branch) indexes give the order), and
# parallel plans are off (a Gather would not keep it). A part's id is written as text once
# per part, not once per row (``uuid_out`` builds its 36 characters one append at a time),
# and a stock row gives only the four columns the CSV writes (projecting the whole row
# cost about a tenth of the export's database time).
VALUATION_PARTS_SQL = """(
    SELECT p.id, p.id::text AS part_id, p.part_number FROM inventory_sparepart p{part}
    ORDER BY p.part_number OFFSET 0
) p"""
VALUATION_EXPORT_NOW_SQL = """
SELECT p.part_id, p.part_number, s.branch_id, s.on_hand AS quantity, s.value, s.currency
FROM {parts}
CROSS JOIN LATERAL (
    SELECT s.branch_id, s.on_hand, s.value, s.currency FROM inventory_stock s
    WHERE s.part_id = p.id AND s.company_id = {company_id}{narrow}
    ORDER BY s.branch_id OFFSET 0
) s
WHERE NOT (s.on_hand = 0 AND s.value = 0)
ORDER BY p.part_number
"""
VALUATION_EXPORT_AT_SQL = """
SELECT p.part_id, p.part_number, s.branch_id, l.qty_after AS quantity, l.value_after AS value, l.currency
FROM {parts}
CROSS JOIN LATERAL (
    SELECT s.part_id, s.branch_id FROM inventory_stock s
    WHERE s.part_id = p.id AND s.company_id = {company_id}{narrow}
    ORDER BY s.branch_id OFFSET 0
) s
{ledger}
WHERE NOT (l.qty_after = 0 AND l.value_after = 0)
ORDER BY p.part_number
"""
# a plain index walk: compiling it (JIT, for its large estimated cost) took longer than it
# saves (0.5 to 1 s at a million rows); at a date the planner puts a cache (Memoize) before
# the ledger probes that never hits, every pair being probed once (about 1 s of a million
# rows' 4.6 s of the database's CPU)
CSV_SETTINGS = {"jit": "off", "enable_memoize": "off", "max_parallel_workers_per_gather": "0"}


def valuation_export_sql(
    scope: ValuationScope, parts: tuple[str | None, str | None] = (None, None)
) -> tuple[str, list, dict[str, str]]:
    """Every row of the report as one PostgreSQL query in the report's order (part number,
    branch) as its nested loops give it, never sorted (see ``VALUATION_PARTS_SQL``), and
    the settings to run it with; the rows are ``valuation_sql``'s (a test compares them).
    ``parts``: only the parts numbered from the first (included) to the second (excluded),
    ``None`` an open end (a piece of the export, ``valuation_export_plan``)."""
    run_with = dict(CSV_SETTINGS)
    conditions: list[str] = []
    params: list[Any] = []
    if scope.part_id:  # one part: nothing to walk (a sort of its one row is no cost)
        conditions.append("p.id = %s")
        params.append(scope.part_id)
    else:
        run_with["enable_sort"] = "off"
    for operator, bound in zip((">=", "<"), parts, strict=True):
        if bound is not None:
            conditions.append(f"p.part_number {operator} %s")
            params.append(bound)
    params.append(scope.company_id)
    narrow = ""
    if scope.branch_id:
        narrow = " AND s.branch_id = %s"
        params.append(scope.branch_id)
    if scope.instant is not None:
        params.append(scope.instant)
    template = VALUATION_EXPORT_NOW_SQL if scope.instant is None else VALUATION_EXPORT_AT_SQL
    walked = VALUATION_PARTS_SQL.format(part=" WHERE " + " AND ".join(conditions) if conditions else "")
    sql = template.format(parts=walked, company_id="%s", narrow=narrow, ledger=LEDGER_AT_SQL.format(instant="%s"))
    return sql, params, run_with


# Parts per piece at least: below it one connection writes the whole CSV (a piece's own
# connection and snapshot cost a few milliseconds, a few thousand rows' worth).
EXPORT_PIECE_MIN_PARTS = 5_000
PART_CUTS_SQL = """
SELECT (SELECT p.part_number FROM inventory_sparepart p ORDER BY p.part_number OFFSET o LIMIT 1)
FROM unnest(%s::bigint[]) o
"""


def valuation_export_plan(scope: ValuationScope) -> Callable[[Any, int], list[tuple[str, list]]]:
    """How ``copy_csv_parts`` cuts the whole export: into at most ``most`` pieces of
    consecutive part numbers, about as many parts in each (cut where the part-number index
    says, read in the export's snapshot), each piece ``valuation_export_sql`` of its range;
    one piece for one part, or when there are too few parts to be worth it."""

    def plan(cursor: Any, most: int) -> list[tuple[str, list]]:
        pieces = 1
        if most > 1 and scope.part_id is None:
            cursor.execute("SELECT count(*) FROM inventory_sparepart")
            count = cursor.fetchone()[0]
            pieces = min(most, count // EXPORT_PIECE_MIN_PARTS)
        if pieces <= 1:
            return [valuation_export_sql(scope)[:2]]
        cursor.execute(PART_CUTS_SQL, [[count * n // pieces for n in range(1, pieces)]])
        cuts = [row[0] for row in cursor.fetchall()]
        bounds = [None, *cuts, None]
        return [valuation_export_sql(scope, (bounds[n], bounds[n + 1]))[:2] for n in range(pieces)]

    return plan


def valuation_page(scope: ValuationScope, *, after: tuple[str, UUID] | None, limit: int) -> list[dict[str, Any]]:
    """One page of the report: at most ``limit`` rows after ``after`` (part number, branch)."""
    if connection.vendor == "postgresql":
        sql, params = valuation_sql(scope, after, limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(VALUATION_KEYS, row, strict=True)) for row in cursor.fetchall()]
    rows = _valuation_portable(scope)
    if after is not None:
        rows = [row for row in rows if (row["part_number"], str(row["branch_id"])) > (after[0], str(after[1]))]
    return rows[:limit]


VALUATION_CSV_HEADER = "part_id,part_number,branch_id,quantity,value,currency\n"


def valuation_csv(scope: ValuationScope, block: int = BLOCK) -> Iterator[bytes]:
    """Every row of the report as CSV, header first, in blocks of about ``block`` bytes.
    On PostgreSQL the report's rows in its order (``valuation_export_sql``) are written by
    ``COPY ... CSV`` and relayed in blocks (``domus.core.copy_out``); elsewhere (SQLite)
    the rows are formatted here (``valuation_csv_portable``, the same bytes)."""
    if connection.vendor == "postgresql":
        yield from copy_csv_parts(
            valuation_export_plan(scope),
            connections_max=settings.INVENTORY_EXPORT_CONNECTIONS,
            block=block,
            settings=valuation_export_sql(scope)[2],
        )
        return
    yield from valuation_csv_portable(scope, block)


def valuation_csv_portable(scope: ValuationScope, block: int = BLOCK) -> Iterator[bytes]:
    """The CSV formatted in Python as ``COPY ... CSV`` writes it (a field quoted only when it
    holds a comma, a quote or a line break), on any database."""
    buffer = io.StringIO()
    buffer.write(VALUATION_CSV_HEADER)
    writer = csv.writer(buffer, lineterminator="\n")
    for row in _valuation_portable(scope):
        writer.writerow(
            [row["part_id"], row["part_number"], row["branch_id"], row["quantity"], row["amount"], row["currency"]]
        )
        if buffer.tell() > block:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _valuation_portable(scope: ValuationScope) -> list[dict[str, Any]]:
    """The report's rows on any database (SQLite: development and tests), as a list."""
    fields = {"part_number": F("part__part_number"), "quantity": F("on_hand"), "amount": F("value")}
    if scope.instant is None:
        rows = scope.narrow(Stock.objects.all()).exclude(on_hand=0, value=0)
    else:
        last_ids = (
            scope.narrow(Stock.objects.all())
            .annotate(
                last_id=Subquery(
                    StockLedgerEntry.objects.filter(
                        part_id=OuterRef("part_id"), branch_id=OuterRef("branch_id"), created_at__lte=scope.instant
                    )
                    .order_by("-created_at", "-id")
                    .values("id")[:1]
                )
            )
            .values("last_id")
        )
        rows = StockLedgerEntry.objects.filter(id__in=last_ids).exclude(qty_after=0, value_after=0)
        fields |= {"quantity": F("qty_after"), "amount": F("value_after")}
    return list(rows.order_by("part__part_number", "branch_id").values("part_id", "branch_id", "currency", **fields))
