"""Stock entries: drafts, posting to the append-only ledger, reversing, reservations.

Posting locks the stock rows it moves in one fixed (part, branch) order, checks what is
available, values each movement (moving average or FIFO, the company's setting), writes
the stock row with a conditional update (and the database's CHECK behind it) and one
ledger row per movement, moves the serials, and notifies a branch's staff once when a
part falls to its low-stock level. A serialization failure or deadlock reported by the
database is retried from the start.
"""

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, wraps
from typing import Any, TypeVar
from uuid import UUID

from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from domus.audit.services import (
    audit_create,
    audit_diff,
    audit_record,
    audit_record_many,
    audit_snapshot,
    audit_update,
)
from domus.communications.services import notify_event
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.inventory import selectors
from domus.inventory.models import (
    EntryKind,
    EntryStatus,
    InventoryConfig,
    Reservation,
    ReservationStatus,
    Serial,
    SerialFitting,
    SerialStatus,
    SparePart,
    Stock,
    StockEntry,
    StockEntryLine,
    StockLedgerEntry,
    ValuationLayer,
    ValuationMethod,
)
from domus.organizations.selectors import COMPANY_STAFF_ROLES, company_member_user_ids

CENT = Decimal("0.01")
COST = Decimal("0.0001")
RETRIES = 6
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
T = TypeVar("T")


class StockError:
    """Codes of the 409s a posting answers."""

    INSUFFICIENT = "INSUFFICIENT_STOCK"
    SERIAL = "SERIAL_CONFLICT"
    POSTED = "ENTRY_POSTED"
    BUSY = "STOCK_BUSY"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def retried[T](func: Callable[..., T]) -> Callable[..., T]:
    """Run ``func`` (a whole transaction) again when the database reports a serialization
    failure or a deadlock; inside an outer transaction there is nothing to retry."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> T:
        for attempt in range(RETRIES):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                sqlstate = getattr(error.__cause__, "sqlstate", None)
                if sqlstate not in RETRYABLE_SQLSTATES or connection.in_atomic_block:
                    raise
                if attempt == RETRIES - 1:
                    raise Conflict("The stock is busy; try again.", errors={"reason": [StockError.BUSY]}) from error
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise AssertionError("unreachable")

    return run


# Drafts ------------------------------------------------------------------------------------


def _check_lines(kind: str, lines: list[dict[str, Any]]) -> dict[UUID, SparePart]:
    parts = selectors.parts_by_id([line["part_id"] for line in lines])
    missing = {
        f"lines.{n}.part_id": ["No such spare part."] for n, line in enumerate(lines) if line["part_id"] not in parts
    }
    if missing:
        raise NotFound("Unknown spare part.", errors=missing)
    errors: dict[str, list[str]] = {}
    seen: set[tuple[UUID, str]] = set()
    for n, line in enumerate(lines):
        where = f"lines.{n}"
        part = parts.get(line["part_id"])
        quantity = Decimal(line["quantity"])
        serials = line.get("serial_numbers") or []
        if part is None:
            errors[f"{where}.part_id"] = ["No such spare part."]
            continue
        if quantity == 0 or (quantity < 0 and kind != EntryKind.ADJUSTMENT):
            errors[f"{where}.quantity"] = ["Must be more than 0 (only an adjustment may be negative)."]
        if part.is_serialized and len(serials) != abs(quantity):
            errors[f"{where}.serial_numbers"] = [f"Part {part.part_number} is serialized: one serial per unit."]
        if not part.is_serialized and serials:
            errors[f"{where}.serial_numbers"] = [f"Part {part.part_number} has no serial numbers."]
        for number in serials:
            if (part.pk, number) in seen:
                errors[f"{where}.serial_numbers"] = [f"Serial {number} is named twice."]
            seen.add((part.pk, number))
    if errors:
        raise ValidationFailed("Some lines are not valid.", errors=errors)
    return parts


def _check_branches(
    *, actor: Any, company_id: UUID, kind: str, branch_id: UUID, to_branch_id: UUID | None, checked: bool = False
) -> None:
    if not checked:
        selectors.branch_company_id(actor=actor, branch_id=branch_id, company_id=company_id, field="branch_id")
    if kind == EntryKind.TRANSFER:
        if to_branch_id is None:
            raise ValidationFailed("A transfer needs a receiving branch.", errors={"to_branch_id": ["Required."]})
        if to_branch_id == branch_id:
            raise ValidationFailed("A transfer is between two branches.", errors={"to_branch_id": ["Another branch."]})
        selectors.branch_company_id(actor=actor, branch_id=to_branch_id, company_id=company_id, field="to_branch_id")
    elif to_branch_id is not None:
        raise ValidationFailed(
            "Only a transfer has a receiving branch.", errors={"to_branch_id": ["Only for transfers."]}
        )


def _line_rows(entry: StockEntry, lines: list[dict[str, Any]]) -> list[StockEntryLine]:
    return [
        StockEntryLine(
            entry=entry,
            part_id=line["part_id"],
            quantity=line["quantity"],
            unit_cost=line.get("unit_cost"),
            serial_numbers=list(line.get("serial_numbers") or []),
            reservation=line.get("reservation"),
        )
        for line in lines
    ]


def _write_lines(entry: StockEntry, lines: list[dict[str, Any]]) -> list[StockEntryLine]:
    return StockEntryLine.objects.bulk_create(_line_rows(entry, lines))


@retried
@transaction.atomic
def entry_create(
    *,
    actor: Any,
    kind: str,
    lines: list[dict[str, Any]],
    company_id: UUID | None = None,
    branch_id: UUID | None = None,
    to_branch_id: UUID | None = None,
    reference: str = "",
    notes: str = "",
    job_id: UUID | None = None,
    post: bool = False,
) -> StockEntry:
    """A draft entry (nothing moves until it is posted), or with ``post`` an entry written
    and posted at once, in one transaction: what a draft and its posting do, without
    reading back the draft."""
    config = None
    if branch_id is None:
        company_id = selectors.company_for(actor, company_id)
        config = selectors.config_of(company_id)
        branch_id = config.default_branch_id
        if branch_id is None:
            raise ValidationFailed(
                "Which branch?", errors={"branch_id": ["Required: the company has no default branch."]}
            )
    company_id = selectors.branch_company_id(actor=actor, branch_id=branch_id, company_id=company_id, field="branch_id")
    _check_branches(
        actor=actor, company_id=company_id, kind=kind, branch_id=branch_id, to_branch_id=to_branch_id, checked=True
    )
    parts = _check_lines(kind, lines)
    by = actor if getattr(actor, "is_authenticated", False) else None
    entry = StockEntry(
        company_id=company_id,
        kind=kind,
        branch_id=branch_id,
        to_branch_id=to_branch_id,
        reference=reference,
        notes=notes,
        job_id=job_id,
        created_by=by,
    )
    if not post:
        entry.save(force_insert=True)
        _write_lines(entry, lines)
        audit_create(actor=actor, instance=entry, company_id=company_id)
        return entry
    config = config or selectors.config_of(company_id)
    _check_open(config)
    rows = _line_rows(entry, lines)
    for row in rows:
        row.part = parts[row.part_id]

    def write() -> None:  # once the stock rows are locked and the posting stamped
        entry.save(force_insert=True)
        StockEntryLine.objects.bulk_create(rows)

    _post_lines(entry, rows, config, actor, write=write)
    created = {
        "action": "create",
        "resource_type": entry._meta.label_lower,
        "resource_id": entry.pk,
        "changes": audit_diff({}, audit_snapshot(entry)),
        "company_id": company_id,
    }
    audit_record_many(actor=actor, records=[created, _posted_record(entry)])  # both rows, one statement
    return entry


def _require_draft(entry: StockEntry) -> None:
    if entry.status != EntryStatus.DRAFT:
        raise Conflict("A posted entry never changes; post a reversing entry.", errors={"reason": [StockError.POSTED]})


@transaction.atomic
def entry_update(*, actor: Any, entry: StockEntry, data: dict[str, Any]) -> StockEntry:
    """Change a draft (``lines``, when given, replace its lines)."""
    entry = selectors.entry_for_update(entry.pk)
    _require_draft(entry)
    before = audit_snapshot(entry)
    lines = data.pop("lines", None)
    for name in ("branch_id", "to_branch_id", "reference", "notes", "job_id"):
        if name in data:
            setattr(entry, name, data[name])
    _check_branches(
        actor=actor,
        company_id=entry.company_id,
        kind=entry.kind,
        branch_id=entry.branch_id,
        to_branch_id=entry.to_branch_id,
    )
    if lines is not None:
        _check_lines(entry.kind, lines)
        entry.lines.all().delete()
        _write_lines(entry, lines)
    entry.save()
    audit_update(actor=actor, instance=entry, before=before, company_id=entry.company_id)
    return entry


@transaction.atomic
def entry_delete(*, actor: Any, entry: StockEntry) -> None:
    entry = selectors.entry_for_update(entry.pk)
    _require_draft(entry)
    audit_record(
        actor=actor,
        action="delete",
        resource_type="inventory.stockentry",
        resource_id=entry.pk,
        company_id=entry.company_id,
    )
    entry.delete()


# Posting ---------------------------------------------------------------------------------------


@dataclass
class Move:
    """One movement of one part at one branch (a transfer line is two)."""

    line: StockEntryLine
    part: SparePart
    branch_id: UUID
    quantity: Decimal  # signed
    unit_cost: Decimal | None = None  # what comes in is worth (None: the current cost)
    pieces: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (qty, unit cost) carried in
    serial_to: str | None = None


def _moves(entry: StockEntry, lines: list[StockEntryLine], parts: dict[UUID, SparePart]) -> list[Move]:
    moves: list[Move] = []
    for line in lines:
        part, quantity = parts[line.part_id], Decimal(line.quantity)
        if entry.kind == EntryKind.TRANSFER:
            moves.append(Move(line, part, entry.branch_id, -quantity))
            moves.append(Move(line, part, entry.to_branch_id, quantity))
        elif entry.kind == EntryKind.ISSUE:
            moves.append(Move(line, part, entry.branch_id, -quantity))
        else:  # receipt, return, adjustment (signed)
            moves.append(Move(line, part, entry.branch_id, quantity, unit_cost=line.unit_cost))
    return moves


def _ensure_stock_rows(entry: StockEntry, moves: list[Move]) -> None:
    Stock.objects.bulk_create(
        [
            Stock(part_id=m.part.pk, branch_id=m.branch_id, company_id=entry.company_id, currency=m.part.currency)
            for m in moves
        ],
        ignore_conflicts=True,
    )


def _value_out(
    stock: Stock, move: Move, need: Decimal, method: str, layers: Iterable[ValuationLayer] | None
) -> tuple[Decimal, list[tuple[Decimal, Decimal]]]:
    """What ``need`` units leaving ``stock`` are worth, and the (qty, unit cost) pieces
    they are made of. The last units out take all the value left (no stray cents)."""
    fallback = Decimal(move.part.cost)
    if method == ValuationMethod.FIFO and layers is not None:
        pieces, left = [], need
        for layer in layers:
            if left <= 0:
                break
            take = min(layer.remaining, left)
            layer.remaining -= take
            layer.save(update_fields=["remaining", "updated_at"])
            pieces.append((take, layer.unit_cost))
            left -= take
        if left > 0:
            pieces.append((left, fallback))
        value = sum((q * c for q, c in pieces), Decimal(0))
    else:
        unit = (stock.value / stock.on_hand) if stock.on_hand > 0 else fallback
        pieces, value = [(need, unit.quantize(COST, rounding=ROUND_HALF_UP))], unit * need
    value = stock.value if need == stock.on_hand else _money(value)
    return value, pieces


def _serials(entry: StockEntry, move: Move) -> None:
    """Move the serial numbers of ``move``: in at a branch, out of it, or across."""
    numbers = list(move.line.serial_numbers or [])
    if not numbers:
        return
    part_id, kind = move.part.pk, entry.kind
    rows = Serial.objects.select_for_update().filter(part_id=part_id, serial_number__in=numbers)
    if move.quantity > 0 and kind in (EntryKind.RECEIPT, EntryKind.ADJUSTMENT):
        clash = rows.exclude(status=SerialStatus.REGISTERED).values_list("serial_number", flat=True)
        if clash:
            raise Conflict(
                f"Serials already received: {', '.join(sorted(clash))}.", errors={"reason": [StockError.SERIAL]}
            )
        known = set(rows.values_list("serial_number", flat=True))
        rows.update(status=SerialStatus.IN_STOCK, branch_id=move.branch_id, last_entry=entry, updated_at=timezone.now())
        Serial.objects.bulk_create(
            Serial(
                part_id=part_id,
                serial_number=number,
                company_id=entry.company_id,
                status=SerialStatus.IN_STOCK,
                branch_id=move.branch_id,
                last_entry=entry,
            )
            for number in numbers
            if number not in known
        )
        return
    if move.quantity > 0:  # a return (issued -> in stock) or a transfer's arrival (already moved)
        if kind == EntryKind.TRANSFER:
            return
        expected, update = Q(status=SerialStatus.ISSUED), {"status": SerialStatus.IN_STOCK}
    else:
        expected = Q(status=SerialStatus.IN_STOCK, branch_id=move.branch_id)
        update = (
            {"branch_id": entry.to_branch_id}
            if kind == EntryKind.TRANSFER
            else {
                "status": SerialStatus.ISSUED if kind == EntryKind.ISSUE else SerialStatus.REGISTERED,
                "branch_id": None,
            }
        )
        if kind == EntryKind.ISSUE:
            update |= {"fitted_to_type": "job", "fitted_to_id": entry.job_id} if entry.job_id else {}
    if move.quantity > 0:
        update["branch_id"] = move.branch_id
    moved = rows.filter(expected).update(**update, last_entry=entry, updated_at=timezone.now())
    if moved != len(numbers):
        where = "issued" if move.quantity > 0 else "in stock at this branch"
        raise Conflict(
            f"Some serials are not {where} (a serial cannot move twice).", errors={"reason": [StockError.SERIAL]}
        )
    if move.quantity > 0 and kind == EntryKind.RETURN:
        # back in stock: no longer fitted at the property it was fitted at
        now = timezone.now()
        SerialFitting.objects.filter(
            serial__part_id=part_id, serial__serial_number__in=numbers, removed_at__isnull=True
        ).update(removed_at=now, updated_at=now)


def _low_stock(entry: StockEntry, stock: Stock, config: InventoryConfig, notices: list[dict[str, Any]]) -> None:
    """Flag a crossing to or below the part's reorder level (else the company's
    threshold) once; climbing back above re-arms the flag."""
    level = stock.reorder_level if stock.reorder_level is not None else config.low_stock_threshold
    low = level > 0 and stock.on_hand <= level
    if low and not stock.low_notified:
        stock.low_notified = True
        notices.append(
            {
                "part_id": str(stock.part_id),
                "branch_id": str(stock.branch_id),
                "company_id": str(stock.company_id),
                "on_hand": str(stock.on_hand),
                "level": str(level),
                "entry_id": str(entry.pk),
            }
        )
    elif not low and stock.low_notified:
        stock.low_notified = False


def _apply(
    entry: StockEntry, move: Move, stock: Stock, config: InventoryConfig, actor: Any, now: Any, notices: list
) -> StockLedgerEntry:
    method = config.valuation_method
    reservation = move.line.reservation if move.quantity < 0 else None
    before_on_hand = stock.on_hand
    if move.quantity < 0:
        need = -move.quantity
        if reservation is not None:
            taken = min(need, reservation.quantity - reservation.issued)
            if taken < need or reservation.status != ReservationStatus.ACTIVE:
                raise Conflict("The reservation does not hold that many.", errors={"reason": [StockError.INSUFFICIENT]})
            stock.reserved -= need
            reservation.issued += need
            reservation.status = (
                ReservationStatus.ISSUED if reservation.issued == reservation.quantity else ReservationStatus.ACTIVE
            )
            reservation.save(update_fields=["issued", "status", "updated_at"])
        available = stock.on_hand - stock.reserved
        if need > available and not config.allow_negative:
            raise Conflict(
                f"Only {available.normalize():f} of {move.part.part_number} available at this branch.",
                errors={"reason": [StockError.INSUFFICIENT]},
            )
        layers = None
        if method == ValuationMethod.FIFO:  # a reversal takes back the layers its entry made first
            layers = selectors.open_layers_for_update(
                part_id=stock.part_id, branch_id=stock.branch_id, own_entry_id=entry.reverses_id
            )
        value, move.pieces = _value_out(stock, move, need, method, layers)
        value_change = -value
    else:
        if not move.pieces:
            unit = move.unit_cost
            if unit is None:
                unit = (stock.value / stock.on_hand) if stock.on_hand > 0 else Decimal(move.part.cost)
            move.pieces = [(move.quantity, Decimal(unit).quantize(COST, rounding=ROUND_HALF_UP))]
        value_change = _money(sum((q * c for q, c in move.pieces), Decimal(0)))
    stock.on_hand += move.quantity
    stock.value += value_change
    if stock.on_hand < 0:
        stock.negative_allowed = True
    _low_stock(entry, stock, config, notices)
    unit_cost = (abs(value_change) / abs(move.quantity)).quantize(COST, rounding=ROUND_HALF_UP)
    ledger = StockLedgerEntry(
        company_id=entry.company_id,
        part_id=stock.part_id,
        branch_id=stock.branch_id,
        entry=entry,
        line=move.line,
        kind=entry.kind,
        qty_change=move.quantity,
        qty_after=stock.on_hand,
        unit_cost=unit_cost,
        value_change=value_change,
        value_after=stock.value,
        currency=stock.currency,
        posting_date=entry.posting_date,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    moved = {
        "on_hand": stock.on_hand,
        "reserved": stock.reserved,
        "value": stock.value,
        "negative_allowed": stock.negative_allowed,
        "low_notified": stock.low_notified,
        "updated_at": now,
    }
    if not _write_move(stock, before_on_hand, moved, ledger):  # the row is locked: only a bug elsewhere gets here
        raise Conflict("The stock changed while posting; try again.", errors={"reason": [StockError.BUSY]})
    if move.quantity > 0 and method == ValuationMethod.FIFO:
        ValuationLayer.objects.bulk_create(
            ValuationLayer(
                part_id=stock.part_id, branch_id=stock.branch_id, quantity=q, remaining=q, unit_cost=c, ledger=ledger
            )
            for q, c in move.pieces
        )
    return ledger


@cache
def _move_sql(names: tuple[str, ...]) -> tuple[str, list[Any], list[Any]]:
    """The statement of ``_write_move`` on PostgreSQL (built once), the stock fields it
    sets and the ledger columns it inserts."""
    quote = connection.ops.quote_name
    sets = [Stock._meta.get_field(name) for name in names]
    columns = [f for f in StockLedgerEntry._meta.concrete_fields if not f.primary_key]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in sets)
    stock_table, ledger_table = quote(Stock._meta.db_table), quote(StockLedgerEntry._meta.db_table)
    names_sql, values_sql = ", ".join(quote(f.column) for f in columns), ", ".join(["%s"] * len(columns))
    update = f"UPDATE {stock_table} SET {assignments} WHERE id = %s AND on_hand = %s RETURNING 1"  # noqa: S608
    insert = f"INSERT INTO {ledger_table} ({names_sql}) SELECT {values_sql} FROM moved RETURNING id"  # noqa: S608
    return f"WITH moved AS ({update}) {insert}", sets, columns


def _write_move(stock: Stock, before_on_hand: Decimal, moved: dict[str, Any], ledger: StockLedgerEntry) -> bool:
    """The stock row's conditional update (only while it still holds ``before_on_hand``)
    and its ledger row; False (and nothing written) when the update matched no row. On
    PostgreSQL one statement: the ledger insert reads the update's ``RETURNING``, so it
    writes a row only when the update did (the CHECK constraint still guards the row)."""
    if connection.vendor != "postgresql":
        if Stock.objects.filter(pk=stock.pk, on_hand=before_on_hand).update(**moved) != 1:
            return False
        ledger.save(force_insert=True)
        return True
    sql, sets, columns = _move_sql(tuple(moved))
    params = [
        *(f.get_db_prep_save(moved[f.name], connection) for f in sets),
        Stock._meta.pk.get_db_prep_value(stock.pk, connection),
        before_on_hand,
        *(f.get_db_prep_save(getattr(ledger, f.attname), connection) for f in columns),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    ledger.pk, ledger._state.adding, ledger._state.db = row[0], False, connection.alias
    return True


def _notify_low_stock(notices: list[dict[str, Any]]) -> None:
    for notice in notices:
        recipients = company_member_user_ids(notice["company_id"], COMPANY_STAFF_ROLES).filter(
            Q(branch_id=notice["branch_id"]) | Q(branch_id__isnull=True)
        )
        notify_event(
            event="inventory.stock_low",
            payload=notice,
            recipient_ids=[str(row["user_id"]) for row in recipients],
            type="stock_low",
            title="Stock is low",
            body=f"{notice['on_hand']} left (low-stock level {notice['level']}).",
        )


def _check_open(config: InventoryConfig) -> None:
    """Posting happens today, in server time: refused on a closed day."""
    today = timezone.localdate()
    if config.closing_date is not None and today <= config.closing_date:
        raise ValidationFailed(
            "The stock is closed.",
            errors={"posting_date": [f"Stock is closed through {config.closing_date.isoformat()}."]},
        )


def _stamp(entry: StockEntry, actor: Any) -> None:
    """Posted now: taken once the stock rows are locked, so a pair's ledger rows are in
    the order of their times (the valuation at a date relies on it)."""
    entry.posting_date, entry.posted_at, entry.status = timezone.localdate(), timezone.now(), EntryStatus.POSTED
    entry.posted_by = actor if getattr(actor, "is_authenticated", False) else None


def _posted_record(entry: StockEntry) -> dict[str, Any]:
    return {
        "action": "post",
        "resource_type": "inventory.stockentry",
        "resource_id": entry.pk,
        "changes": {"status": {"before": EntryStatus.DRAFT, "after": EntryStatus.POSTED}},
        "company_id": entry.company_id,
    }


def _audit_posted(entry: StockEntry, actor: Any) -> None:
    audit_record(actor=actor, **_posted_record(entry))


def _locked_stocks(entry: StockEntry, moves: list[Move]) -> dict[tuple[UUID, UUID], Stock]:
    """The stock rows the moves touch, locked in (part, branch) order; the rows a pair
    never had are made first (one more statement, only then)."""
    keys = sorted({(m.part.pk, m.branch_id) for m in moves})
    stocks = selectors.stocks_for_update(keys)
    if len(stocks) < len(keys):
        _ensure_stock_rows(entry, [m for m in moves if (m.part.pk, m.branch_id) not in stocks])
        stocks = selectors.stocks_for_update(keys)
    return stocks


def _post_lines(
    entry: StockEntry,
    lines: list[StockEntryLine],
    config: InventoryConfig,
    actor: Any,
    write: Callable[[], None] | None = None,
) -> None:
    """Move the stock of ``lines`` (each carrying its ``part``): lock, stamp, value,
    write. ``write`` saves a new entry and its lines, after the locks."""
    moves = _moves(entry, lines, {line.part_id: line.part for line in lines})
    stocks = _locked_stocks(entry, moves)
    reservation_ids = sorted({line.reservation_id for line in lines if line.reservation_id})
    if reservation_ids:  # locked after the stock rows, as every reservation write does
        locked = {
            r.pk: r for r in Reservation.objects.select_for_update().filter(pk__in=reservation_ids).order_by("id")
        }
        for line in lines:
            if line.reservation_id:
                line.reservation = locked[line.reservation_id]
    _stamp(entry, actor)
    if write is not None:
        write()
    notices: list[dict[str, Any]] = []
    outgoing: dict[UUID, list[tuple[Decimal, Decimal]]] = {}
    for move in moves:
        if entry.kind == EntryKind.TRANSFER and move.quantity > 0:
            move.pieces = outgoing[move.line.pk]  # arrives at what it left at
        _apply(entry, move, stocks[(move.part.pk, move.branch_id)], config, actor, entry.posted_at, notices)
        if entry.kind == EntryKind.TRANSFER and move.quantity < 0:
            outgoing[move.line.pk] = move.pieces
        _serials(entry, move)
    if notices:
        transaction.on_commit(lambda: _notify_low_stock(notices))


@retried
@transaction.atomic
def entry_post(*, actor: Any, entry_id: UUID) -> StockEntry:
    """Post a draft: every line moves stock and writes its ledger rows, or nothing does."""
    entry = selectors.entry_for_update(entry_id)
    _require_draft(entry)
    config = selectors.config_of(entry.company_id)
    _check_open(config)
    lines = list(entry.lines.select_related("part", "reservation").order_by("created_at", "id"))
    _post_lines(entry, lines, config, actor)
    entry.save(update_fields=["status", "posting_date", "posted_at", "posted_by", "updated_at"])
    _audit_posted(entry, actor)
    return entry


# Reversing -----------------------------------------------------------------------------------


MIRROR = {
    EntryKind.RECEIPT: EntryKind.ISSUE,
    EntryKind.ISSUE: EntryKind.RETURN,
    EntryKind.RETURN: EntryKind.ISSUE,
    EntryKind.TRANSFER: EntryKind.TRANSFER,
    EntryKind.ADJUSTMENT: EntryKind.ADJUSTMENT,
}


@retried
@transaction.atomic
def entry_reverse(*, actor: Any, entry_id: UUID) -> StockEntry:
    """Post the entry that undoes a posted one (the original is never edited): receipts
    go out again, issues come back at the cost they left at, transfers go back."""
    original = selectors.entry_for_update(entry_id)
    if original.status != EntryStatus.POSTED:
        raise Conflict(
            "Only a posted entry is reversed; a draft is edited or deleted.", errors={"reason": [StockError.POSTED]}
        )
    if StockEntry.objects.filter(reverses=original).exists():
        raise Conflict("This entry was reversed already.", errors={"reason": [StockError.POSTED]})
    out_costs = {
        row.line_id: row.unit_cost for row in original.ledger.all() if row.qty_change < 0
    }  # what the issued units left at
    kind = MIRROR[original.kind]
    transfer = original.kind == EntryKind.TRANSFER
    reversal = StockEntry.objects.create(
        company_id=original.company_id,
        kind=kind,
        branch_id=original.to_branch_id if transfer else original.branch_id,
        to_branch_id=original.branch_id if transfer else None,
        reference=f"Reversal of {original.pk}",
        job_id=original.job_id,
        reverses=original,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    lines = []
    for line in original.lines.all():
        quantity = -line.quantity if kind == EntryKind.ADJUSTMENT else abs(line.quantity)
        cost = out_costs.get(line.pk) if kind in (EntryKind.RETURN, EntryKind.ADJUSTMENT) else None
        lines.append(
            {"part_id": line.part_id, "quantity": quantity, "unit_cost": cost, "serial_numbers": line.serial_numbers}
        )
    _write_lines(reversal, lines)
    audit_create(actor=actor, instance=reversal, company_id=reversal.company_id)
    return entry_post(actor=actor, entry_id=reversal.pk)


# Stock rows ----------------------------------------------------------------------------------


@transaction.atomic
def stock_set_reorder_level(*, actor: Any, stock: Stock, reorder_level: Decimal | None) -> Stock:
    stock = Stock.objects.select_for_update().get(pk=stock.pk)
    before = audit_snapshot(stock)
    stock.reorder_level = reorder_level
    stock.save(update_fields=["reorder_level", "updated_at"])
    audit_update(actor=actor, instance=stock, before=before, company_id=stock.company_id)
    return stock
