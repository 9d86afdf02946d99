from django.contrib import admin

from domus.analytics.models import Rollup, RollupPartition


@admin.register(Rollup)
class RollupAdmin(admin.ModelAdmin):
    list_display = ("source", "measure", "company_id", "day", "key", "currency", "count", "amount")
    list_filter = ("source", "measure")
    search_fields = ("company_id", "key")


@admin.register(RollupPartition)
class RollupPartitionAdmin(admin.ModelAdmin):
    list_display = ("company_id", "built_at")
