"""Inventory API: the catalog and spare parts (declared once each through
``domus.core.crud``), stock per branch, stock entries (draft, post, reverse), the ledger,
serials, price logs, the valuation report, CSV exports and the inventory settings."""

import csv
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.accounts.auth import optional_auth
from domus.core.crud import Access, Crud, register_crud
from domus.core.errors import ErrorOut
from domus.core.exceptions import NotFound, ValidationFailed
from domus.core.money import money_str
from domus.core.openapi import download
from domus.core.policies import is_admin, require
from domus.inventory import models as m
from domus.inventory import schemas as s
from domus.inventory import selectors
from domus.inventory.services import catalog, settings, stock

router = Router(tags=["inventory"])
QTY = Decimal("0.001")

ADMIN = {"x-permission": "admin"}
DENIED = "Only platform admins manage stock."
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# The catalog: one declaration per resource ---------------------------------------------------


def _hide_money(out: type, *fields: str):
    """An answer of ``out`` with ``fields`` (cost, price) left empty for all but platform admins."""

    def present(row: Model, actor: Any) -> Any:
        shown = out.model_validate(row, from_attributes=True)
        if not is_admin(actor):
            for name in fields:
                setattr(shown, name, None)
        return shown

    return present


def _catalog(
    path: str,
    noun: str,
    model: type[Model],
    out: type,
    create_in: type,
    replace_in: type,
    patch_in: type,
    filters: type,
    *,
    listing: selectors.CatalogListing | None = None,
    key: str = "slug",
    read: Access = Access.PUBLIC,
    clean: catalog.Clean | None = None,
    present: Any = None,
) -> Crud:
    listing = listing or selectors.CatalogListing()
    key_field = "pk" if key == "id" else "slug"
    return Crud(
        path=path,
        tag="inventory",
        noun=noun,
        out=out,
        create_in=create_in,
        replace_in=replace_in,
        patch_in=patch_in,
        filters=filters,
        key=key,
        key_type=UUID if key == "id" else str,
        read=read,
        public_auth=optional_auth,
        present=present,
        operation_prefix="inventory_",
        list=lambda *, actor, filters: selectors.catalog_list(model=model, listing=listing, filters=filters),
        get=lambda *, actor, key: selectors.catalog_get(model=model, key_field=key_field, key=key),
        create=partial(catalog.catalog_create, model=model, clean=clean),
        update=partial(catalog.catalog_update, clean=clean),
        delete=catalog.catalog_delete,
    )


CATALOG = [
    _catalog(
        "departments",
        "department",
        m.Department,
        s.CatalogOut,
        s.CatalogIn,
        s.CatalogPutIn,
        s.CatalogPatchIn,
        s.CatalogFilters,
    ),
    _catalog(
        "categories",
        "category",
        m.Category,
        s.CategoryOut,
        s.CategoryIn,
        s.CategoryPutIn,
        s.CategoryPatchIn,
        s.CategoryFilters,
        listing=selectors.CatalogListing(lookups={"department": "department__slug"}),
    ),
    _catalog(
        "subcategories",
        "subcategory",
        m.Subcategory,
        s.SubcategoryOut,
        s.SubcategoryIn,
        s.SubcategoryPutIn,
        s.SubcategoryPatchIn,
        s.SubcategoryFilters,
        listing=selectors.CatalogListing(
            lookups={"category": "category__slug", "department": "category__department__slug"}
        ),
    ),
    _catalog(
        "products",
        "product",
        m.Product,
        s.ProductOut,
        s.ProductIn,
        s.ProductPutIn,
        s.ProductPatchIn,
        s.ProductFilters,
        listing=selectors.CatalogListing(
            lookups={
                "brand": "brand__slug",
                "department": "department__slug",
                "category": "category__slug",
                "subcategory": "subcategory__slug",
                "quality": "quality__slug",
                "min_price": "price__gte",
                "max_price": "price__lte",
                "is_active": "is_active",
            },
            search=("name", "slug", "description", "brand__name"),
            ordering=("name", "price", "created_at", "updated_at"),
        ),
        clean=catalog.product_clean,
        present=_hide_money(s.ProductOut, "cost"),
    ),
    _catalog(
        "variants",
        "variant",
        m.Variant,
        s.VariantOut,
        s.VariantIn,
        s.VariantPutIn,
        s.VariantPatchIn,
        s.VariantFilters,
        listing=selectors.CatalogListing(lookups={"product": "product__slug"}, search=("name", "slug", "sku")),
        present=_hide_money(s.VariantOut, "cost"),
    ),
    _catalog(
        "units",
        "unit",
        m.MeasurementUnit,
        s.MeasurementUnitOut,
        s.MeasurementUnitIn,
        s.MeasurementUnitPutIn,
        s.MeasurementUnitPatchIn,
        s.CatalogFilters,
        read=Access.AUTHENTICATED,
    ),
    _catalog(
        "qualities",
        "quality",
        m.Quality,
        s.CatalogOut,
        s.CatalogIn,
        s.CatalogPutIn,
        s.CatalogPatchIn,
        s.CatalogFilters,
        read=Access.AUTHENTICATED,
    ),
    _catalog(
        "brands", "brand", m.Brand, s.BrandOut, s.BrandIn, s.BrandPutIn, s.BrandPatchIn, s.CatalogFilters, key="id"
    ),
    _catalog(
        "product-units",
        "product unit",
        m.ProductUnit,
        s.ProductUnitOut,
        s.ProductUnitIn,
        s.ProductUnitIn,
        s.ProductUnitPatchIn,
        s.ProductUnitFilters,
        key="id",
        read=Access.AUTHENTICATED,
        listing=selectors.CatalogListing(
            lookups={"product": "product__slug"},
            search=(),
            ordering=("created_at", "factor"),
            default=("created_at", "pk"),
        ),
    ),
    _catalog(
        "spares",
        "spare",
        m.SparePart,
        s.SpareOut,
        s.SpareIn,
        s.SpareIn,
        s.SparePatchIn,
        s.SpareFilters,
        key="id",
        listing=selectors.CatalogListing(
            lookups={"product": "product__slug", "is_active": "is_active"},
            search=("part_number", "name", "description"),
            ordering=("part_number", "name", "created_at", "updated_at"),
            default=("part_number", "pk"),
        ),
        clean=catalog.spare_clean,
        present=_hide_money(s.SpareOut, "cost", "price"),
    ),
]
for resource in CATALOG:
    register_crud(router, resource)


# Stock per branch -------------------------------------------------------------------------------


def _csv(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.now().date().isoformat()}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/stock/",
    response={200: list[s.StockOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Stock per part and branch: on hand, reserved, available, value",
    openapi_extra=ADMIN,
)
@paginate
def stock_list(request: HttpRequest, filters: Query[s.StockFilters]):
    require(is_admin(request.auth), DENIED)
    return selectors.stock_list_for_actor(actor=request.auth, filters=filters)


@router.get(
    "/stock/export/",
    response={200: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="The filtered stock rows as a CSV attachment",
    openapi_extra={**ADMIN, **download("Stock per part and branch", "text/csv")},
)
def stock_export(request: HttpRequest, filters: Query[s.StockFilters]):
    require(is_admin(request.auth), DENIED)
    rows = selectors.stock_list_for_actor(actor=request.auth, filters=filters).select_related("part")
    return _csv(
        "stock",
        [
            "part_id",
            "part_number",
            "branch_id",
            "on_hand",
            "reserved",
            "available",
            "value",
            "currency",
            "reorder_level",
        ],
        (
            [
                r.part_id,
                r.part.part_number,
                r.branch_id,
                r.on_hand,
                r.reserved,
                r.on_hand - r.reserved,
                money_str(r.value),
                r.currency,
                "" if r.reorder_level is None else r.reorder_level,
            ]
            for r in rows.iterator(chunk_size=2000)
        ),
    )


@router.patch(
    "/stock/{stock_id}/",
    response={200: s.StockOut, **WRITE_ERRORS},
    summary="Set a stock row's reorder level (its low-stock level)",
    openapi_extra=ADMIN,
)
def stock_reorder_level(request: HttpRequest, stock_id: UUID, payload: s.ReorderIn):
    require(is_admin(request.auth), DENIED)
    row = selectors.stock_get_for_actor(actor=request.auth, stock_id=stock_id)
    return stock.stock_set_reorder_level(actor=request.auth, stock=row, reorder_level=payload.reorder_level)


@router.get(
    "/spares/{id}/stock/",
    response={200: list[s.StockOut], **READ_ERRORS},
    summary="A part's stock at each branch",
    openapi_extra=ADMIN,
)
def spare_stock(request: HttpRequest, id: UUID):
    """The hot read of the stock desk: one query (the part and its stock rows), written
    straight to JSON with the values ``StockOut`` gives them (the same body, without
    building a model and a schema object per branch)."""
    require(is_admin(request.auth), DENIED)
    rows = selectors.part_stock_values(part_id=id)
    if rows is None:
        raise NotFound("Spare part not found.")
    stamp = DjangoJSONEncoder().default
    body = [
        {
            "id": str(pk),
            "part_id": str(part_id),
            "branch_id": str(branch_id),
            "company_id": str(company_id),
            "on_hand": str(on_hand),
            "reserved": str(reserved),
            "available": str(on_hand - reserved),
            "value": money_str(value),
            "currency": currency,
            "reorder_level": None if reorder_level is None else str(reorder_level),
            "updated_at": stamp(updated_at),
        }
        for pk, part_id, branch_id, company_id, on_hand, reserved, value, currency, reorder_level, updated_at in rows
    ]
    return HttpResponse(json.dumps(body), content_type="application/json; charset=utf-8")


# Stock entries --------------------------------------------------------------------------------


def _entry_update(*, actor: Any, row: m.StockEntry, data: dict[str, Any]) -> m.StockEntry:
    stock.entry_update(actor=actor, entry=row, data=data)
    return selectors.entry_get_for_actor(actor=actor, entry_id=row.pk)


ADMIN_ONLY = {"read": Access.ADMIN, "key": "id", "operation_prefix": "inventory_", "tag": "inventory"}
register_crud(
    router,
    Crud(
        path="stock-entries",
        noun="stock entry",
        out=s.StockEntryOut,
        filters=s.StockEntryFilters,
        create_in=s.StockEntryIn,
        replace_in=s.StockEntryPutIn,
        patch_in=s.StockEntryPatchIn,
        key_type=UUID,
        list=selectors.entry_list_for_actor,
        get=lambda *, actor, key: selectors.entry_get_for_actor(actor=actor, entry_id=key),
        create=lambda *, actor, data: stock.entry_create(actor=actor, **data),
        update=_entry_update,
        delete=lambda *, actor, row: stock.entry_delete(actor=actor, entry=row),
        summaries={
            "list": "Stock entries (receipts, issues, transfers, adjustments, returns), newest first",
            "create": "Draft a stock entry (nothing moves until it is posted), or with `post` post it at once",
            "replace": "Replace a draft's branches, reference, notes and lines (a posted entry is a 409)",
            "update": "Edit a draft (lines, when given, replace its lines; a posted entry is a 409)",
            "delete": "Delete a draft (a posted entry is reversed, never deleted)",
        },
        **ADMIN_ONLY,
    ),
)


@router.post(
    "/stock-entries/{id}/post/",
    response={200: s.StockEntryOut, **WRITE_ERRORS},
    summary="Post a draft: stock moves and the ledger gets one row per line and branch",
    openapi_extra=ADMIN,
)
def entry_post(request: HttpRequest, id: UUID):
    require(is_admin(request.auth), DENIED)
    selectors.entry_get_for_actor(actor=request.auth, entry_id=id)
    stock.entry_post(actor=request.auth, entry_id=id)
    return selectors.entry_get_for_actor(actor=request.auth, entry_id=id)


@router.post(
    "/stock-entries/{id}/reverse/",
    response={201: s.StockEntryOut, **WRITE_ERRORS},
    summary="Post the entry that undoes a posted one",
    openapi_extra=ADMIN,
)
def entry_reverse(request: HttpRequest, id: UUID):
    require(is_admin(request.auth), DENIED)
    selectors.entry_get_for_actor(actor=request.auth, entry_id=id)
    reversal = stock.entry_reverse(actor=request.auth, entry_id=id)
    return Status(201, selectors.entry_get_for_actor(actor=request.auth, entry_id=reversal.pk))


# The ledger, serials, price logs ----------------------------------------------------------------


register_crud(
    router,
    Crud(
        path="stock-ledgers",
        noun="ledger row",
        out=s.LedgerOut,
        filters=s.LedgerFilters,
        key_type=int,
        write=None,
        list=selectors.ledger_list_for_actor,
        get=lambda *, actor, key: selectors.ledger_get_for_actor(actor=actor, ledger_id=key),
        summaries={"list": "The stock ledger, newest first (append-only)"},
        **ADMIN_ONLY,
    ),
)
register_crud(
    router,
    Crud(
        path="serials",
        noun="serial",
        out=s.SerialOut,
        filters=s.SerialFilters,
        create_in=s.SerialIn,
        replace_in=s.SerialPutIn,
        patch_in=s.SerialPatchIn,
        key_type=UUID,
        list=selectors.serial_list_for_actor,
        get=lambda *, actor, key: selectors.serial_get_for_actor(actor=actor, serial_id=key),
        create=settings.serial_register,
        update=lambda *, actor, row, data: settings.serial_update(actor=actor, serial=row, data=data),
        delete=lambda *, actor, row: settings.serial_delete(actor=actor, serial=row),
        summaries={
            "list": "Serial numbers and where they are",
            "create": "Register a serial number before it is received",
            "replace": "Replace where a serial is fitted, its warranty end and notes",
            "update": "Edit where a serial is fitted, its warranty end or notes",
            "delete": "Delete a serial that never entered stock",
        },
        **ADMIN_ONLY,
    ),
)
register_crud(
    router,
    Crud(
        path="price-logs",
        noun="price log",
        out=s.PriceLogOut,
        filters=s.PriceLogFilters,
        key_type=int,
        write=None,
        list=selectors.price_log_list_for_actor,
        get=lambda *, actor, key: selectors.price_log_get_for_actor(actor=actor, log_id=key),
        summaries={"list": "Every change of a product's, variant's or part's cost or price, newest first"},
        **ADMIN_ONLY,
    ),
)


# Settings and valuation --------------------------------------------------------------------------


def _config_out(config: m.InventoryConfig) -> dict[str, Any]:
    return {
        "company_id": config.company_id,
        "allow_negative": config.allow_negative,
        "valuation_method": config.valuation_method,
        "low_stock_threshold": config.low_stock_threshold,
        "closing_date": config.closing_date,
        "default_branch_id": config.default_branch_id,
        "updated_at": config.updated_at or timezone.now(),
    }


@router.get(
    "/inventory-config/",
    response={200: s.ConfigOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="A company's inventory settings",
    openapi_extra=ADMIN,
)
def config_detail(request: HttpRequest, query: Query[s.CompanyQuery]):
    require(is_admin(request.auth), DENIED)
    return _config_out(selectors.config_of(selectors.company_for(request.auth, query.company_id)))


@router.put(
    "/inventory-config/",
    response={200: s.ConfigOut, **WRITE_ERRORS},
    summary="Replace a company's inventory settings",
    openapi_extra=ADMIN,
)
def config_replace(request: HttpRequest, query: Query[s.CompanyQuery], payload: s.ConfigIn):
    require(is_admin(request.auth), DENIED)
    company_id = selectors.company_for(request.auth, query.company_id)
    return _config_out(settings.config_save(actor=request.auth, company_id=company_id, data=payload.dict()))


def _scope(request: HttpRequest, query: s.ValuationQuery) -> selectors.ValuationScope:
    require(is_admin(request.auth), DENIED)
    return selectors.ValuationScope.of(
        company_id=selectors.company_for(request.auth, query.company_id),
        at=query.at,
        branch_id=query.branch_id,
        part_id=query.part_id,
    )


def _cursor_of(row: dict[str, Any]) -> str:
    return urlsafe_b64encode(json.dumps([row["part_number"], str(row["branch_id"])]).encode()).decode()


def _after(cursor: str | None) -> tuple[str, UUID] | None:
    if not cursor:
        return None
    try:
        part_number, branch_id = json.loads(urlsafe_b64decode(cursor.encode()))
        return str(part_number), UUID(branch_id)
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed("Unknown cursor.", errors={"cursor": ["Use the `next` link of a page."]}) from None


@router.get(
    "/valuation/",
    response={200: s.ValuationOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Quantity and value per part and branch at a date (paged), totals per currency",
    openapi_extra=ADMIN,
)
def valuation(request: HttpRequest, query: Query[s.ValuationPageQuery]):
    scope = _scope(request, query)
    rows = selectors.valuation_page(scope, after=_after(query.cursor), limit=query.limit + 1)
    more, rows = len(rows) > query.limit, rows[: query.limit]
    if more:
        params = request.GET.copy()
        params["cursor"] = _cursor_of(rows[-1])
        following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {
        "company_id": scope.company_id,
        "at": scope.instant or timezone.now(),
        "valuation_method": selectors.config_of(scope.company_id).valuation_method,
        "rows": [
            {**row, "quantity": Decimal(row["quantity"]).quantize(QTY), "value": Decimal(row["amount"])} for row in rows
        ],
        "next": following if more else None,
        "totals": selectors.valuation_totals(scope),
    }


@router.get(
    "/valuation/export/",
    response={200: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="The whole valuation report as a CSV attachment, streamed",
    openapi_extra={**ADMIN, **download("Quantity and value per part and branch", "text/csv")},
)
def valuation_export(request: HttpRequest, query: Query[s.ValuationQuery]):
    response = StreamingHttpResponse(selectors.valuation_csv(_scope(request, query)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="valuation-{timezone.now().date().isoformat()}.csv"'
    response["Cache-Control"] = "no-store"
    return response
