"""Admin building blocks shared by the apps: soft-deleted rows listed, marked and
filterable; phone numbers found in any spelling."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from domus.core.models import IdempotencyRecord
from domus.core.phones import phone_search_pattern


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> tuple[tuple[str, str], ...]:
        return (("no", "Live"), ("yes", "Deleted"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class SoftDeleteAdminMixin:
    """For the admin of a model with ``deleted_at``: every row is listed, deleted ones
    included (``all_objects``), marked in a "deleted" column and filterable (live / deleted)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        display = list(super().get_list_display(request))
        return display if "deleted" in display else [*display, "deleted"]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = list(super().get_list_filter(request))
        return filters if DeletedFilter in filters else [*filters, DeletedFilter]

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def deleted(self, obj: Any) -> bool:
        return obj.deleted_at is not None


class SoftDeleteAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    """A ``ModelAdmin`` of a soft-deletable model (see ``SoftDeleteAdminMixin``)."""


class PhoneSearchMixin:
    """The search box also finds a phone number in ``phone_search_fields`` however the
    term spells it (``0711 000 111``, ``+254711000111`` and ``254711000111`` find the
    same row, whatever spelling the row holds)."""

    phone_search_fields: tuple[str, ...] = ("phone",)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        pattern = phone_search_pattern(search_term)
        if pattern is None:
            return found, may_have_duplicates
        phone_q = Q()
        for field in self.phone_search_fields:
            phone_q |= Q(**{f"{field}__regex": pattern})
        return found | queryset.filter(phone_q), may_have_duplicates


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("key", "status_code", "completed", "created_at", "expires_at")
    search_fields = ("key",)
    readonly_fields = [f.name for f in IdempotencyRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
