from django.contrib import admin

from domus.core.admin import SoftDeleteAdmin
from domus.properties.models import (
    FacetGroup,
    Favorite,
    Feature,
    Listing,
    ListingMedia,
    MapGridCell,
    PriceChange,
    SavedSearch,
    SavedSearchMatch,
    Unit,
    Visit,
)


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")

    def get_readonly_fields(self, request, obj=None):
        # The slug is the public identifier: set once, never changed.
        return ("slug",) if obj is not None else ()

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else {"slug": ("name",)}


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0


@admin.register(Listing)
class ListingAdmin(SoftDeleteAdmin):
    list_display = ("title", "property_type", "listing_type", "status", "price", "currency", "city", "is_published")
    list_filter = ("status", "property_type", "listing_type", "is_published")
    search_fields = ("title", "city", "address")
    raw_id_fields = ("company", "owner", "agent")
    filter_horizontal = ("features",)
    readonly_fields = ("created_at", "updated_at", "deleted_at")
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("unit_number", "listing", "unit_type", "status", "price")
    list_filter = ("status",)
    search_fields = ("unit_number", "listing__title")
    raw_id_fields = ("listing",)


@admin.register(PriceChange)
class PriceChangeAdmin(admin.ModelAdmin):
    list_display = ("listing", "old_price", "new_price", "currency", "changed_by", "changed_at")
    raw_id_fields = ("listing", "changed_by")
    readonly_fields = ("changed_at",)


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("listing", "customer", "agent", "starts_at", "ends_at", "status")
    list_filter = ("status",)
    search_fields = ("listing__title", "customer__email", "agent__email")
    raw_id_fields = ("listing", "customer", "agent")
    date_hierarchy = "starts_at"
    readonly_fields = ("confirmed_at", "cancelled_at", "completed_at", "created_at", "updated_at")


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    list_display = ("user", "listing", "created_at")
    search_fields = ("user__email", "listing__title")
    raw_id_fields = ("user", "listing")


class SavedSearchMatchInline(admin.TabularInline):
    model = SavedSearchMatch
    extra = 0
    raw_id_fields = ("listing",)
    readonly_fields = ("matched_at",)


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "alert_frequency", "last_checked_at", "last_alerted_at")
    list_filter = ("alert_frequency",)
    search_fields = ("name", "user__email")
    raw_id_fields = ("user",)
    inlines = [SavedSearchMatchInline]


@admin.register(SavedSearchMatch)
class SavedSearchMatchAdmin(admin.ModelAdmin):
    list_display = ("saved_search", "listing", "matched_at")
    raw_id_fields = ("saved_search", "listing")


@admin.register(ListingMedia)
class ListingMediaAdmin(admin.ModelAdmin):
    list_display = ("listing", "kind", "title", "position", "is_cover", "content_type", "size")
    list_filter = ("kind", "is_cover")
    search_fields = ("listing__title", "title", "original_name")
    raw_id_fields = ("listing", "uploaded_by")
    readonly_fields = ("thumbnail", "content_type", "size", "width", "height", "created_at", "updated_at")


@admin.register(MapGridCell)
class MapGridCellAdmin(admin.ModelAdmin):
    """A derived table (rebuilt by a job): read it, never edit it."""

    list_display = ("cell_x", "cell_y", "count", "min_price", "max_price")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FacetGroup)
class FacetGroupAdmin(admin.ModelAdmin):
    """A derived table (rebuilt by a job): read it, never edit it."""

    list_display = ("city", "property_type", "listing_type", "bedrooms", "price_bucket", "count")
    list_filter = ("property_type", "listing_type")
    search_fields = ("city",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
