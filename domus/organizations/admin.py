"""Back office for companies, memberships and branches. Soft-deleted companies and
branches stay visible here (``all_objects``), marked and filterable."""

from django.contrib import admin

from domus.core.admin import DeletedFilter, SoftDeleteAdmin
from domus.organizations.models import Branch, Company, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "company"
    extra = 0
    raw_id_fields = ("user", "branch")
    fields = ("user", "role", "branch", "is_active")


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0
    fields = ("name", "code", "city", "is_headquarters", "is_active")
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(SoftDeleteAdmin):
    list_display = ("name", "slug", "status", "city", "country", "created_at", "deleted_at")
    list_filter = ("status", "country", DeletedFilter)
    search_fields = ("name", "legal_name", "slug", "registration_number", "email")
    readonly_fields = ("id", "slug", "created_at", "updated_at", "deleted_at", "created_by")
    raw_id_fields = ("created_by",)
    date_hierarchy = "created_at"
    inlines = (BranchInline, MembershipInline)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "company", "role", "branch", "status", "is_active", "created_at")
    list_filter = ("role", "status", "is_active")
    search_fields = ("user__email", "user__username", "company__name")
    raw_id_fields = ("user", "company", "branch")
    list_select_related = ("user", "company", "branch")
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Branch)
class BranchAdmin(SoftDeleteAdmin):
    list_display = ("name", "code", "company", "city", "is_headquarters", "is_active", "deleted_at")
    list_filter = ("is_headquarters", "is_active", DeletedFilter)
    search_fields = ("name", "code", "city", "address", "company__name")
    raw_id_fields = ("company",)
    list_select_related = ("company",)
    readonly_fields = ("id", "created_at", "updated_at", "deleted_at")
