from django.contrib import admin

from domus.properties.models import Feature, Listing, PriceChange, Unit


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
class ListingAdmin(admin.ModelAdmin):
    list_display = ("title", "property_type", "listing_type", "status", "price", "currency", "city", "is_published")
    list_filter = ("status", "property_type", "listing_type", "is_published")
    search_fields = ("title", "city", "address")
    raw_id_fields = ("company", "owner", "agent")
    filter_horizontal = ("features",)
    readonly_fields = ("created_at", "updated_at", "deleted_at")
    inlines = [UnitInline]

    def get_queryset(self, request):
        # The admin shows soft-deleted listings too.
        return Listing.all_objects.all()


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
