"""Shapes of the inventory API: the catalog, spare parts, stock, entries, the ledger,
serials, price logs, valuation and the inventory settings."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import StringConstraints, model_validator

from domus.core.filtering import DateOrDateTime, ListFilters, ordering_of
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr, MoneyTotals
from domus.core.schemas import NOT_BLANK, FieldErrors, Input, body_alias
from domus.inventory.models import EntryKind, EntryStatus, FittedKind, SerialStatus, ValuationMethod

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)]
Text = Annotated[str, StringConstraints(max_length=5000, pattern=r"^[^\x00]*$")]
SlugRef = Annotated[str, StringConstraints(max_length=220, pattern=r"^[^\x00]*$")]
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2)]
MAX_QTY = Decimal(1_000_000_000)
Quantity = Annotated[Decimal, Field(gt=0, le=MAX_QTY, decimal_places=3)]
SignedQuantity = Annotated[Decimal, Field(ge=-MAX_QTY, le=MAX_QTY, decimal_places=3)]
UnitCost = Annotated[Decimal, Field(ge=0, le=Decimal(10_000_000_000), decimal_places=4)]
SLUG_HELP = "Made from the name when the row is created; it never changes (a body naming it is a 400)."


def _no_slug(data: Any) -> Any:
    """A write body never carries the slug: it is made once and never changes."""
    if isinstance(data, dict) and "slug" in data:
        raise FieldErrors({"slug": [SLUG_HELP]})
    return data


class CatalogOut(Schema):
    id: UUID
    name: str
    slug: str
    description: str
    created_at: datetime
    updated_at: datetime


class CatalogIn(Input):
    name: Name
    description: Text = ""


class CatalogPutIn(CatalogIn):
    """The whole row but its slug (made once from the name; a body naming it is a 400)."""

    no_slug = body_alias(_no_slug)


class CatalogPatchIn(Input):
    """Fields to change; never the slug (made once from the name; a body naming it is a 400)."""

    name: Name | None = None
    description: Text | None = None
    no_slug = body_alias(_no_slug)


class CatalogFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "updated_at")


# Departments, categories, subcategories -------------------------------------------------


class CategoryOut(CatalogOut):
    department_id: UUID


class CategoryIn(CatalogIn):
    department_id: UUID


class CategoryPutIn(CategoryIn, CatalogPutIn):
    pass


class CategoryPatchIn(CatalogPatchIn):
    department_id: UUID | None = None


class CategoryFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "updated_at")
    department: SlugRef | None = Field(None, description="A department's slug.")


class SubcategoryOut(CatalogOut):
    category_id: UUID


class SubcategoryIn(CatalogIn):
    category_id: UUID


class SubcategoryPutIn(SubcategoryIn, CatalogPutIn):
    pass


class SubcategoryPatchIn(CatalogPatchIn):
    category_id: UUID | None = None


class SubcategoryFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "updated_at")
    category: SlugRef | None = Field(None, description="A category's slug.")
    department: SlugRef | None = Field(None, description="A department's slug.")


# Units, qualities, brands --------------------------------------------------------------


class MeasurementUnitOut(CatalogOut):
    symbol: str


class MeasurementUnitIn(CatalogIn):
    symbol: Annotated[str, StringConstraints(max_length=20, pattern=r"^[^\x00]*$")] = ""


class MeasurementUnitPutIn(MeasurementUnitIn, CatalogPutIn):
    pass


class MeasurementUnitPatchIn(CatalogPatchIn):
    symbol: Annotated[str, StringConstraints(max_length=20, pattern=r"^[^\x00]*$")] | None = None


# An http(s) address without white space: the characters Python, Rust (pydantic) and
# JSON Schema (ECMA) count as white space differ, so the ones they disagree on are listed.
URL_PATTERN = r"^(https?://[^\s\u0000\u001c-\u001f\u0085\ufeff]+)?$"
Url = Annotated[str, StringConstraints(max_length=200, pattern=URL_PATTERN)]


class BrandOut(CatalogOut):
    website: str


class BrandIn(CatalogIn):
    website: Url = ""


class BrandPutIn(BrandIn, CatalogPutIn):
    pass


class BrandPatchIn(CatalogPatchIn):
    website: Url | None = None


# Products, variants, unit conversions ---------------------------------------------------


class ProductOut(CatalogOut):
    brand_id: UUID | None
    department_id: UUID | None
    category_id: UUID | None
    subcategory_id: UUID | None
    quality_id: UUID | None
    unit_id: UUID | None
    price: MoneyStr
    cost: MoneyStr | None = Field(None, description="Shown to platform admins only.")
    currency: str
    is_active: bool


class ProductIn(CatalogIn):
    brand_id: UUID | None = None
    department_id: UUID | None = None
    category_id: UUID | None = None
    subcategory_id: UUID | None = Field(None, description="Sets the category and department when they are not given.")
    quality_id: UUID | None = None
    unit_id: UUID | None = None
    price: Money = Decimal(0)
    cost: Money = Decimal(0)
    currency: CurrencyCode = "KES"
    is_active: bool = True


class ProductPutIn(ProductIn, CatalogPutIn):
    pass


class ProductPatchIn(CatalogPatchIn):
    brand_id: UUID | None = None
    department_id: UUID | None = None
    category_id: UUID | None = None
    subcategory_id: UUID | None = None
    quality_id: UUID | None = None
    unit_id: UUID | None = None
    price: Money | None = None
    cost: Money | None = None
    currency: CurrencyCode | None = None
    is_active: bool | None = None


class ProductFilters(ListFilters):
    ordering: str | None = ordering_of("name", "price", "created_at", "updated_at")
    brand: SlugRef | None = Field(None, description="A brand's slug.")
    department: SlugRef | None = Field(None, description="A department's slug.")
    category: SlugRef | None = Field(None, description="A category's slug.")
    subcategory: SlugRef | None = Field(None, description="A subcategory's slug.")
    quality: SlugRef | None = Field(None, description="A quality's slug.")
    min_price: Money | None = None
    max_price: Money | None = None
    is_active: bool | None = None


class VariantOut(CatalogOut):
    product_id: UUID
    sku: str
    price: MoneyStr | None = Field(None, description="Empty: the product's price.")
    cost: MoneyStr | None = Field(None, description="Shown to platform admins only.")
    attributes: dict[str, Any]


AttributeValue = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
Attributes = Annotated[
    dict[Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")], AttributeValue],
    Field(max_length=50),
]
Sku = Annotated[str, StringConstraints(max_length=64, pattern=r"^[^\x00]*$")]


class VariantIn(CatalogIn):
    product_id: UUID
    sku: Sku = ""
    price: Money | None = None
    cost: Money | None = None
    attributes: Attributes = Field(default_factory=dict)


class VariantPutIn(VariantIn, CatalogPutIn):
    pass


class VariantPatchIn(CatalogPatchIn):
    product_id: UUID | None = None
    sku: Sku | None = None
    price: Money | None = None
    cost: Money | None = None
    attributes: Attributes | None = None


class VariantFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "updated_at")
    product: SlugRef | None = Field(None, description="A product's slug.")


Factor = Annotated[Decimal, Field(gt=0, le=Decimal(1_000_000), decimal_places=3)]


class ProductUnitOut(Schema):
    id: UUID
    product_id: UUID
    unit_id: UUID
    factor: Decimal = Field(..., description="How many of the product's own unit one of this unit holds.")
    created_at: datetime
    updated_at: datetime


class ProductUnitIn(Input):
    product_id: UUID
    unit_id: UUID
    factor: Factor


class ProductUnitPatchIn(Input):
    factor: Factor | None = None


class ProductUnitFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "factor")
    product: SlugRef | None = Field(None, description="A product's slug.")


# Spare parts -----------------------------------------------------------------------------


PartNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NOT_BLANK)]


class SpareOut(Schema):
    id: UUID
    part_number: str
    name: str
    description: str
    product_id: UUID | None
    variant_id: UUID | None
    unit_id: UUID | None
    cost: MoneyStr | None = Field(None, description="Shown to platform admins only.")
    price: MoneyStr | None = Field(None, description="Shown to platform admins only.")
    currency: str
    is_serialized: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime


class SpareIn(Input):
    part_number: PartNumber
    name: Name
    description: Text = ""
    product_id: UUID | None = None
    variant_id: UUID | None = None
    unit_id: UUID | None = None
    cost: Money = Decimal(0)
    price: Money = Decimal(0)
    currency: CurrencyCode = "KES"
    is_serialized: bool = False
    is_active: bool = True


class SparePatchIn(Input):
    part_number: PartNumber | None = None
    name: Name | None = None
    description: Text | None = None
    product_id: UUID | None = None
    variant_id: UUID | None = None
    unit_id: UUID | None = None
    cost: Money | None = None
    price: Money | None = None
    currency: CurrencyCode | None = None
    is_serialized: bool | None = None
    is_active: bool | None = None


class SpareFilters(ListFilters):
    ordering: str | None = ordering_of("part_number", "name", "created_at", "updated_at")
    product: SlugRef | None = Field(None, description="A product's slug.")
    is_active: bool | None = None


# Stock -------------------------------------------------------------------------------------


class StockOut(Schema):
    id: UUID
    part_id: UUID
    branch_id: UUID
    company_id: UUID
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    value: MoneyStr
    currency: str
    reorder_level: Decimal | None
    updated_at: datetime

    @staticmethod
    def resolve_available(obj) -> Decimal:
        return obj.on_hand - obj.reserved


class StockFilters(ListFilters):
    ordering: str | None = ordering_of("on_hand", "reserved", "value", "created_at", "updated_at")
    part_id: UUID | None = None
    branch_id: UUID | None = None
    company_id: UUID | None = None
    low: bool | None = Field(None, description="Only rows at or below their reorder level.")


class ReorderIn(Input):
    reorder_level: Annotated[Decimal, Field(ge=0, le=MAX_QTY, decimal_places=3)] | None


# Stock entries --------------------------------------------------------------------------------

SerialNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)]


class StockLineIn(Input):
    part_id: UUID
    quantity: SignedQuantity = Field(..., description="Positive; an adjustment may be negative (not zero).")
    unit_cost: UnitCost | None = Field(None, description="Receipts and positive adjustments: the cost of one unit.")
    serial_numbers: list[SerialNumber] = Field(default_factory=list, max_length=1000)


class StockLineOut(Schema):
    id: UUID
    part_id: UUID
    quantity: Decimal
    unit_cost: Decimal | None
    serial_numbers: list[str]
    reservation_id: UUID | None


class StockEntryIn(Input):
    kind: EntryKind
    company_id: UUID | None = Field(None, description="The branch's company (checked when given).")
    branch_id: UUID | None = Field(
        None, description="The branch stock moves at (from, for a transfer); the default branch when empty."
    )
    to_branch_id: UUID | None = Field(None, description="A transfer's receiving branch.")
    reference: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")] = ""
    notes: Text = ""
    job_id: UUID | None = None
    lines: list[StockLineIn] = Field(..., min_length=1, max_length=500)
    post: bool = Field(
        False, description="Post it at once (one call, one transaction): a 409 when the stock does not allow it."
    )


class StockEntryPutIn(Input):
    """A draft as a whole: its branches, reference, notes, job and lines (the kind and
    company stay)."""

    branch_id: UUID
    to_branch_id: UUID | None = None
    reference: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")] = ""
    notes: Text = ""
    job_id: UUID | None = None
    lines: list[StockLineIn] = Field(..., min_length=1, max_length=500)


class StockEntryPatchIn(Input):
    branch_id: UUID | None = None
    to_branch_id: UUID | None = None
    reference: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")] | None = None
    notes: Text | None = None
    job_id: UUID | None = None
    lines: list[StockLineIn] | None = Field(None, min_length=1, max_length=500)


class StockEntryOut(Schema):
    id: UUID
    company_id: UUID
    kind: EntryKind
    status: EntryStatus
    branch_id: UUID
    to_branch_id: UUID | None
    reference: str
    notes: str
    job_id: UUID | None
    reverses_id: UUID | None
    posting_date: date | None
    posted_at: datetime | None
    posted_by_id: UUID | None
    created_by_id: UUID | None
    lines: list[StockLineOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


class StockEntryFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "posted_at")
    kind: EntryKind | None = None
    status: EntryStatus | None = None
    company_id: UUID | None = None
    branch_id: UUID | None = None
    job_id: UUID | None = None


class LedgerOut(Schema):
    id: int
    company_id: UUID
    part_id: UUID
    branch_id: UUID
    entry_id: UUID
    line_id: UUID
    kind: EntryKind
    qty_change: Decimal
    qty_after: Decimal
    unit_cost: Decimal
    value_change: MoneyStr
    value_after: MoneyStr
    currency: str
    posting_date: date
    created_by_id: UUID | None
    created_at: datetime


class LedgerFilters(Schema):
    part_id: UUID | None = None
    branch_id: UUID | None = None
    company_id: UUID | None = None
    entry_id: UUID | None = None
    kind: EntryKind | None = None


# Serials ---------------------------------------------------------------------------------------


class SerialOut(Schema):
    id: UUID
    part_id: UUID
    serial_number: str
    company_id: UUID
    status: SerialStatus
    branch_id: UUID | None
    last_entry_id: UUID | None
    fitted_to_type: str
    fitted_to_id: UUID | None
    warranty_end: date | None
    notes: str
    created_at: datetime
    updated_at: datetime


class SerialIn(Input):
    """A serial number known before it is received (it enters stock with a receipt that names it)."""

    part_id: UUID
    serial_number: SerialNumber
    company_id: UUID | None = None
    fitted_to_type: FittedKind | None = None
    fitted_to_id: UUID | None = None
    warranty_end: date | None = None
    notes: Text = ""

    @model_validator(mode="after")
    def _fitted_pair(self) -> "SerialIn":
        if (self.fitted_to_type is None) != (self.fitted_to_id is None):
            raise FieldErrors({"fitted_to_id": ["fitted_to_type and fitted_to_id go together."]})
        return self


class SerialPatchIn(Input):
    """What may change on a serial: where it is fitted, its warranty and notes (its
    number, part and whereabouts move only with stock entries)."""

    fitted_to_type: FittedKind | None = None
    fitted_to_id: UUID | None = None
    warranty_end: date | None = None
    notes: Text | None = None


class SerialPutIn(Input):
    """Where a serial is fitted, its warranty end and notes, as a whole (empty: none)."""

    fitted_to_type: FittedKind | None = None
    fitted_to_id: UUID | None = None
    warranty_end: date | None = None
    notes: Text = ""


class SerialFilters(ListFilters):
    ordering: str | None = ordering_of("serial_number", "created_at", "updated_at", "warranty_end")
    part_id: UUID | None = None
    status: SerialStatus | None = None
    branch_id: UUID | None = None
    fitted_to_id: UUID | None = None


# Price logs, settings, valuation -------------------------------------------------------------


class PriceLogOut(Schema):
    id: int
    resource_type: str
    resource_id: UUID
    field: str
    old_value: MoneyStr | None
    new_value: MoneyStr | None
    currency: str
    changed_by_id: UUID | None
    created_at: datetime


class PriceLogFilters(Schema):
    resource_type: Annotated[str, StringConstraints(pattern=r"^(product|variant|spare)$")] | None = None
    resource_id: UUID | None = None
    field: Annotated[str, StringConstraints(pattern=r"^(cost|price)$")] | None = None


class ConfigOut(Schema):
    company_id: UUID
    allow_negative: bool
    valuation_method: ValuationMethod
    low_stock_threshold: Decimal
    closing_date: date | None
    default_branch_id: UUID | None
    updated_at: datetime


class ConfigIn(Input):
    allow_negative: bool = False
    valuation_method: ValuationMethod = ValuationMethod.MOVING_AVERAGE
    low_stock_threshold: Annotated[Decimal, Field(ge=0, le=MAX_QTY, decimal_places=3)] = Decimal(0)
    closing_date: date | None = None
    default_branch_id: UUID | None = None


class CompanyQuery(Schema):
    company_id: UUID | None = Field(
        None, description="The company (your only one, or the platform's default, when empty)."
    )


class ValuationQuery(CompanyQuery):
    at: DateOrDateTime | None = Field(
        None, description="The stock as it stood at the end of this date (now when empty)."
    )
    branch_id: UUID | None = None
    part_id: UUID | None = None


class ValuationPageQuery(ValuationQuery):
    limit: int = Field(100, ge=1, le=1000, description="Rows per page.")
    cursor: str | None = Field(
        None, max_length=400, description="Where the previous page ended: its `next` link carries it."
    )


class ValuationRow(Schema):
    part_id: UUID
    part_number: str
    branch_id: UUID
    quantity: Decimal
    value: MoneyStr
    currency: str


class ValuationOut(Schema):
    company_id: UUID
    at: datetime
    valuation_method: ValuationMethod
    rows: list[ValuationRow] = Field(description="One page, by part number and branch.")
    next: str | None = Field(description="The next page, when there are more rows.")
    totals: MoneyTotals = Field(description="The whole report's value per currency, not only this page's.")
