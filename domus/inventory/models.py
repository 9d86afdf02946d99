"""The catalog (taxonomy, products, variants, units, qualities, brands), spare parts and
their stock per branch, stock entries and the append-only stock ledger, valuation
layers, serial numbers, price logs, reservations and the inventory settings of a company."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from domus.core.models import BaseModel
from domus.core.money import currency_field, money_field

QTY = {"max_digits": 14, "decimal_places": 3}
UNIT_COST = {"max_digits": 18, "decimal_places": 4}


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are only ever added: ``update()`` and ``delete()`` refuse (the model's
    guard on every database; PostgreSQL also refuses in a trigger)."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


# Catalog ---------------------------------------------------------------------------


class SluggedModel(BaseModel):
    """A catalog row addressed by a slug made once from its name (Unicode kept)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True, editable=False)
    description = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        abstract = True
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Department(SluggedModel):
    pass


class Category(SluggedModel):
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="categories")

    class Meta(SluggedModel.Meta):
        verbose_name_plural = "categories"


class Subcategory(SluggedModel):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="subcategories")

    class Meta(SluggedModel.Meta):
        verbose_name_plural = "subcategories"


class MeasurementUnit(SluggedModel):
    symbol = models.CharField(max_length=20, blank=True)


class Quality(SluggedModel):
    class Meta(SluggedModel.Meta):
        verbose_name_plural = "qualities"


class Brand(SluggedModel):
    website = models.URLField(blank=True)


class Product(SluggedModel):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="products")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True)
    subcategory = models.ForeignKey(Subcategory, on_delete=models.PROTECT, null=True, blank=True)
    quality = models.ForeignKey(Quality, on_delete=models.PROTECT, null=True, blank=True)
    unit = models.ForeignKey(MeasurementUnit, on_delete=models.PROTECT, null=True, blank=True)
    price = money_field(default=Decimal(0))
    cost = money_field(default=Decimal(0))
    currency = currency_field()
    is_active = models.BooleanField(default=True)

    class Meta(SluggedModel.Meta):
        indexes = [models.Index(fields=["price"], name="inv_product_price")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0, cost__gte=0), name="inv_product_money_positive")
        ]


class Variant(SluggedModel):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    sku = models.CharField(max_length=64, blank=True)
    price = money_field(null=True, blank=True, help_text="Empty: the product's price.")
    cost = money_field(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)


class ProductUnit(BaseModel):
    """A unit a product is also counted in: ``factor`` of the product's own unit (a box of 12)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="unit_conversions")
    unit = models.ForeignKey(MeasurementUnit, on_delete=models.PROTECT)
    factor = models.DecimalField(**QTY)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="inv_product_unit_once"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="inv_product_unit_factor_positive"),
        ]


# Spare parts and stock ---------------------------------------------------------------


class SparePart(BaseModel):
    part_number = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="spares")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, null=True, blank=True, related_name="spares")
    unit = models.ForeignKey(MeasurementUnit, on_delete=models.PROTECT, null=True, blank=True)
    cost = money_field(default=Decimal(0))
    price = money_field(default=Decimal(0))
    currency = currency_field()
    is_serialized = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["part_number"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0, cost__gte=0), name="inv_spare_money_positive")]

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


class Stock(BaseModel):
    """What a branch holds of a part: on hand, reserved for jobs, and the value on hand.
    ``on_hand`` never goes below zero unless the company allowed it when it was posted
    (``negative_allowed``); ``reserved`` never below zero."""

    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="stock")
    branch = models.ForeignKey("organizations.Branch", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+")
    on_hand = models.DecimalField(default=Decimal(0), **QTY)
    reserved = models.DecimalField(default=Decimal(0), **QTY)
    value = money_field(default=Decimal(0))
    currency = currency_field()
    reorder_level = models.DecimalField(null=True, blank=True, **QTY)
    negative_allowed = models.BooleanField(default=False)
    low_notified = models.BooleanField(default=False, help_text="Low-stock notice sent for the current crossing.")

    class Meta(BaseModel.Meta):
        ordering = ["part_id", "branch_id"]
        constraints = [
            models.UniqueConstraint(fields=["part", "branch"], name="inv_stock_part_branch"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0) | Q(negative_allowed=True), name="inv_stock_never_negative"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inv_stock_reserved_positive"),
        ]


class EntryKind(models.TextChoices):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    RETURN = "return"


class EntryStatus(models.TextChoices):
    DRAFT = "draft"
    POSTED = "posted"


class StockEntry(BaseModel):
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    status = models.CharField(max_length=8, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    branch = models.ForeignKey("organizations.Branch", on_delete=models.PROTECT, related_name="+")
    to_branch = models.ForeignKey(
        "organizations.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    job_id = models.UUIDField(null=True, blank=True, help_text="The maintenance job the parts are for.")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    posting_date = models.DateField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta(BaseModel.Meta):
        verbose_name_plural = "stock entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="transfer", to_branch__isnull=False)
                | (~Q(kind="transfer") & Q(to_branch__isnull=True)),
                name="inv_entry_transfer_has_target",
            ),
            models.CheckConstraint(condition=~Q(branch=F("to_branch")), name="inv_entry_transfer_two_branches"),
        ]


class StockEntryLine(BaseModel):
    entry = models.ForeignKey(StockEntry, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY, help_text="Positive; an adjustment may be negative.")
    unit_cost = models.DecimalField(null=True, blank=True, **UNIT_COST)
    serial_numbers = models.JSONField(default=list, blank=True)
    reservation = models.ForeignKey(
        "inventory.Reservation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="inv_line_quantity_not_zero")]


class StockLedgerEntry(AppendOnlyModel):
    """One movement of one part at one branch, written when an entry posts; never
    changed or removed (a correction is a reversing entry). ``id`` grows with time."""

    id = models.BigAutoField(primary_key=True)
    # company and part are the first columns of the two indexes below: no index of their own
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+", db_index=False)
    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="+", db_index=False)
    branch = models.ForeignKey("organizations.Branch", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(StockEntry, on_delete=models.PROTECT, related_name="ledger")
    line = models.ForeignKey(StockEntryLine, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    qty_change = models.DecimalField(**QTY)
    qty_after = models.DecimalField(**QTY)
    unit_cost = models.DecimalField(**UNIT_COST)
    value_change = money_field()
    value_after = money_field()
    currency = currency_field()
    posting_date = models.DateField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "stock ledger entries"
        indexes = [
            # a pair's balance at an instant: one backward probe, read from the index alone
            models.Index(
                fields=["part", "branch", "created_at", "id"],
                include=["qty_after", "value_after", "currency"],
                name="inv_ledger_pair_time",
            ),
            # a company's movements since an instant (the valuation totals at a date)
            models.Index(
                fields=["company", "created_at"], include=["value_change", "currency"], name="inv_ledger_company_since"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.qty_change} of {self.part_id} at {self.branch_id}"


class ValuationLayer(BaseModel):
    """A quantity received at one unit cost and not yet consumed (FIFO valuation)."""

    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("organizations.Branch", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)
    remaining = models.DecimalField(**QTY)
    unit_cost = models.DecimalField(**UNIT_COST)
    ledger = models.ForeignKey(StockLedgerEntry, on_delete=models.PROTECT, related_name="+")

    class Meta(BaseModel.Meta):
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["part", "branch", "created_at"], condition=Q(remaining__gt=0), name="inv_layer_open")
        ]
        constraints = [models.CheckConstraint(condition=Q(remaining__gte=0), name="inv_layer_remaining_positive")]


class SerialStatus(models.TextChoices):
    IN_STOCK = "in_stock"
    ISSUED = "issued"
    REGISTERED = "registered"


class FittedKind(models.TextChoices):
    UNIT = "unit"
    JOB = "job"


class Serial(BaseModel):
    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="serials")
    serial_number = models.CharField(max_length=100)
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=SerialStatus.choices, default=SerialStatus.REGISTERED)
    branch = models.ForeignKey(
        "organizations.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_entry = models.ForeignKey(StockEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    fitted_to_type = models.CharField(max_length=8, choices=FittedKind.choices, blank=True)
    fitted_to_id = models.UUIDField(null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["part_id", "serial_number"]
        constraints = [models.UniqueConstraint(fields=["part", "serial_number"], name="inv_serial_once_per_part")]


class SerialFitting(BaseModel):
    """A serial fitted at a property by a maintenance job: the unit's (or listing's)
    history of fitted serials. ``removed_at`` is set when the serial leaves it (fitted
    elsewhere, or returned to stock); the row without it is where the serial is now."""

    serial = models.ForeignKey(Serial, on_delete=models.PROTECT, related_name="fittings")
    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+")
    listing_id = models.UUIDField(null=True, blank=True)
    unit_id = models.UUIDField(null=True, blank=True)
    job_id = models.UUIDField(null=True, blank=True, help_text="The maintenance job that fitted it.")
    entry = models.ForeignKey(StockEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    fitted_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    fitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta(BaseModel.Meta):
        ordering = ["-fitted_at", "-id"]
        indexes = [
            models.Index(fields=["unit_id", "-fitted_at", "-id"], name="inv_fitting_unit_recent"),
            models.Index(fields=["listing_id", "-fitted_at", "-id"], name="inv_fitting_listing_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["serial"], condition=Q(removed_at__isnull=True), name="inv_fitting_one_current_per_serial"
            ),
            models.CheckConstraint(
                condition=Q(listing_id__isnull=False) | Q(unit_id__isnull=False), name="inv_fitting_has_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.serial_id} at {self.unit_id or self.listing_id}"


class PriceLog(AppendOnlyModel):
    """One change of a product's, variant's or part's cost or price."""

    id = models.BigAutoField(primary_key=True)
    resource_type = models.CharField(max_length=16)
    resource_id = models.UUIDField()
    field = models.CharField(max_length=8)
    old_value = money_field(null=True)
    new_value = money_field(null=True)
    currency = currency_field()
    changed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["resource_type", "resource_id"], name="inv_price_log_resource")]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.resource_id} {self.field}: {self.old_value} -> {self.new_value}"


class ReservationStatus(models.TextChoices):
    ACTIVE = "active"
    ISSUED = "issued"
    RELEASED = "released"


class Reservation(BaseModel):
    """Parts held at a branch for a maintenance job: counted in the stock's ``reserved``
    until issued or released."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("organizations.Branch", on_delete=models.PROTECT, related_name="+")
    job_id = models.UUIDField(db_index=True)
    quantity = models.DecimalField(**QTY)
    issued = models.DecimalField(default=Decimal(0), **QTY)
    status = models.CharField(max_length=8, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inv_reservation_positive"),
            models.CheckConstraint(
                condition=Q(issued__gte=0, issued__lte=F("quantity")), name="inv_reservation_issued"
            ),
        ]


class ValuationMethod(models.TextChoices):
    MOVING_AVERAGE = "moving_average"
    FIFO = "fifo"


class InventoryConfig(BaseModel):
    company = models.OneToOneField("organizations.Company", on_delete=models.CASCADE, related_name="+")
    allow_negative = models.BooleanField(default=False)
    valuation_method = models.CharField(
        max_length=16, choices=ValuationMethod.choices, default=ValuationMethod.MOVING_AVERAGE
    )
    low_stock_threshold = models.DecimalField(default=Decimal(0), **QTY)
    closing_date = models.DateField(null=True, blank=True)
    default_branch = models.ForeignKey(
        "organizations.Branch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [models.CheckConstraint(condition=Q(low_stock_threshold__gte=0), name="inv_config_threshold")]
