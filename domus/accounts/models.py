"""Users, their profiles and agent profiles, and the tokens of the auth flows."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from domus.core.ids import uuid7
from domus.core.models import BaseModel
from domus.core.roles import Role


class DomusUserManager(UserManager):
    """Hides soft-deleted users from ``User.objects``; ``User.all_objects`` sees all.
    ``createsuperuser`` makes a platform admin (role ``admin``)."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField("email address", unique=True)
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DomusUserManager()
    all_objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
            models.CheckConstraint(
                condition=models.Q(deleted_at__isnull=True) | models.Q(is_active=False),
                name="accounts_user_deleted_is_inactive",
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Profile(BaseModel):
    """Personal details of a user (one each)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    bio = models.TextField(blank=True)
    avatar_url = models.URLField(blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    language = models.CharField(max_length=10, default="en")
    timezone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class AgentProfile(BaseModel):
    """What the public and the company know of an agent."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent_profile")
    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="agent_profiles"
    )
    licence_number = models.CharField(max_length=64, blank=True)
    agency_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    specialties = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0, help_text="Percent, 0-100.")
    rating = models.DecimalField(max_digits=3, decimal_places=2, default=0, help_text="0-5.")
    is_verified = models.BooleanField(default=False)

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_rate__gte=0, commission_rate__lte=100), name="agent_commission_0_100"
            ),
            models.CheckConstraint(condition=models.Q(rating__gte=0, rating__lte=5), name="agent_rating_0_5"),
        ]

    def __str__(self) -> str:
        return f"Agent {self.user}"


class RefreshToken(models.Model):
    """An issued refresh token. Rotation revokes it and records its successor;
    ``revoked_at`` set means blacklisted."""

    jti = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    family = models.CharField(max_length=64, db_index=True, help_text="Shared by a token and its rotations.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.jti


class AccountToken(BaseModel):
    """A single-use, expiring token sent by e-mail (activation, password reset).
    Only its SHA-256 is stored."""

    class Purpose(models.TextChoices):
        ACTIVATION = "activation", "Account activation"
        PASSWORD_RESET = "password_reset", "Password reset"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["user", "purpose"], name="accounts_token_user_purpose")]

    def __str__(self) -> str:
        return f"{self.purpose} token for {self.user_id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
