"""Back office for users, profiles, agent profiles and (read-only) tokens."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from domus.accounts import services
from domus.accounts.models import AccountToken, AgentProfile, Profile, RefreshToken, User
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.admin import DeletedFilter, PhoneSearchMixin, SoftDeleteAdminMixin
from domus.core.exceptions import AuthenticationFailed, Conflict, RateLimited


def _unique_ci(form: forms.ModelForm, field: str) -> str:
    """Refuse a value another user (deleted ones included) holds, ignoring case."""
    value = form.cleaned_data.get(field, "")
    if field == "email":
        value = services.users.normalize_email(value)
    others = User.all_objects.filter(**{f"{field}__iexact": value})
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if value and others.exists():
        raise forms.ValidationError(f"A user with this {field} already exists.")
    return value


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in checks the password like the API does: the same lockout
    counter per account (failures here and there add up) and the same constant work
    for an unknown name."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.credentials_verify(identifier=username, password=password)
            except RateLimited as exc:
                raise forms.ValidationError(exc.detail, code="locked") from None
            except AuthenticationFailed:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = AdminLoginForm


class UserAddForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "username", "role")

    def clean_email(self) -> str:
        return _unique_ci(self, "email")

    def clean_username(self) -> str:
        return _unique_ci(self, "username")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean_email(self) -> str:
        return _unique_ci(self, "email")

    def clean_username(self) -> str:
        return _unique_ci(self, "username")


@admin.register(User)
class UserAdmin(PhoneSearchMixin, SoftDeleteAdminMixin, DjangoUserAdmin):
    """Users by e-mail and role. Deleting is soft (an action), never a row removal;
    deleted users stay listed, marked and filterable."""

    form = UserEditForm
    add_form = UserAddForm
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "phone")}),
        (
            "Role and access",
            {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined", "created_at", "updated_at", "deleted_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("created_at", "updated_at", "deleted_at", "last_login", "date_joined")
    list_display = ("email", "username", "first_name", "last_name", "role", "is_active", "deleted_at", "created_at")
    list_filter = ("role", "is_active", DeletedFilter, "is_staff", "is_superuser")
    search_fields = ("email", "username", "first_name", "last_name", "phone")
    ordering = ("-created_at",)
    actions = ["soft_delete"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        before = audit_snapshot(User.all_objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change:
            audit_update(actor=request.user, instance=obj, before=before)
        else:
            Profile.objects.get_or_create(user=obj)
            audit_create(actor=request.user, instance=obj)

    @admin.action(description="Soft-delete the selected users (sign them out, hide them)")
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        deleted = 0
        for user in queryset.filter(deleted_at__isnull=True):
            try:
                services.user_delete(actor=request.user, user=user)
                deleted += 1
            except Conflict as exc:
                self.message_user(request, f"{user}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"{deleted} user(s) deleted.")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "city", "country", "language", "timezone", "updated_at")
    list_filter = ("country", "language")
    search_fields = ("user__email", "user__username", "city")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "agency_name", "company", "licence_number", "rating", "is_verified", "created_at")
    list_filter = ("is_verified",)
    search_fields = ("user__email", "user__username", "user__first_name", "user__last_name", "agency_name")
    list_select_related = ("user", "company")
    raw_id_fields = ("user", "company")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Issued by the auth flows only: viewable, never written by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyAdmin):
    list_display = ("jti", "user", "family", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("jti", "family", "user__email")
    list_select_related = ("user",)


@admin.register(AccountToken)
class AccountTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "purpose", "created_at", "expires_at", "used_at")
    list_filter = ("purpose",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    exclude = ("token_hash",)
