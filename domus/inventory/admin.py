"""Django admin of the inventory. The ledger and the price log are read-only here too."""

from django.contrib import admin

from domus.inventory import models as m


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Department, m.MeasurementUnit, m.Quality, m.Brand)
class CatalogAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    readonly_fields = ("slug",)


@admin.register(m.Category)
class CategoryAdmin(CatalogAdmin):
    list_display = ("name", "slug", "department")
    raw_id_fields = ("department",)


@admin.register(m.Subcategory)
class SubcategoryAdmin(CatalogAdmin):
    list_display = ("name", "slug", "category")
    raw_id_fields = ("category",)


@admin.register(m.Product)
class ProductAdmin(CatalogAdmin):
    list_display = ("name", "slug", "brand", "category", "price", "currency", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("brand", "department", "category", "subcategory", "quality", "unit")


@admin.register(m.Variant)
class VariantAdmin(CatalogAdmin):
    list_display = ("name", "slug", "product", "sku", "price")
    raw_id_fields = ("product",)


@admin.register(m.ProductUnit)
class ProductUnitAdmin(admin.ModelAdmin):
    list_display = ("product", "unit", "factor")
    raw_id_fields = ("product", "unit")


@admin.register(m.SparePart)
class SparePartAdmin(admin.ModelAdmin):
    list_display = ("part_number", "name", "product", "cost", "price", "currency", "is_serialized", "is_active")
    search_fields = ("part_number", "name")
    raw_id_fields = ("product", "variant", "unit")


@admin.register(m.Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ("part", "branch", "on_hand", "reserved", "value", "currency", "reorder_level")
    raw_id_fields = ("part", "branch", "company")


@admin.register(m.StockEntryLine)
class StockEntryLineAdmin(ReadOnlyAdmin):
    list_display = ("entry", "part", "quantity", "unit_cost")


class LineInline(admin.TabularInline):
    model = m.StockEntryLine
    extra = 0
    raw_id_fields = ("part", "reservation")


@admin.register(m.StockEntry)
class StockEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "company", "branch", "to_branch", "posted_at")
    list_filter = ("kind", "status")
    inlines = [LineInline]


@admin.register(m.StockLedgerEntry)
class StockLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "part", "branch", "qty_change", "qty_after", "value_after", "currency", "created_at")
    list_filter = ("kind",)


@admin.register(m.ValuationLayer)
class ValuationLayerAdmin(ReadOnlyAdmin):
    list_display = ("part", "branch", "quantity", "remaining", "unit_cost", "created_at")


@admin.register(m.Serial)
class SerialAdmin(admin.ModelAdmin):
    list_display = ("serial_number", "part", "status", "branch", "fitted_to_type", "fitted_to_id", "warranty_end")
    list_filter = ("status",)
    search_fields = ("serial_number",)
    raw_id_fields = ("part", "company", "branch", "last_entry")
    readonly_fields = ("part", "serial_number", "status", "branch", "last_entry")


@admin.register(m.SerialFitting)
class SerialFittingAdmin(ReadOnlyAdmin):
    list_display = ("serial", "unit_id", "listing_id", "job_id", "fitted_at", "removed_at")
    search_fields = ("serial__serial_number",)


@admin.register(m.PriceLog)
class PriceLogAdmin(ReadOnlyAdmin):
    list_display = ("resource_type", "resource_id", "field", "old_value", "new_value", "currency", "created_at")


@admin.register(m.Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("job_id", "part", "branch", "quantity", "issued", "status", "created_at")
    list_filter = ("status",)


@admin.register(m.InventoryConfig)
class InventoryConfigAdmin(ReadOnlyAdmin):
    list_display = ("company", "allow_negative", "valuation_method", "low_stock_threshold", "closing_date")
