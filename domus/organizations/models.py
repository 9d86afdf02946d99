"""Companies (tenants), memberships of users in them, and their branches."""

from django.conf import settings
from django.db import models

from domus.core.models import BaseModel, SoftDeleteModel
from domus.core.roles import Role

# A platform admin is a user role, never a role inside one company.
MEMBERSHIP_ROLES = [(value, label) for value, label in Role.choices if value != Role.ADMIN]


class OnboardingStep(models.TextChoices):
    SUBMIT = "submit", "Submit for verification"
    VERIFY = "verify", "Verify"
    ACTIVATE = "activate", "Activate"
    REJECT = "reject", "Reject back to draft"


class Company(SoftDeleteModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for verification"
        VERIFIED = "verified", "Verified"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    legal_name = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(max_length=64, blank=True)
    tax_id = models.CharField(max_length=64, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    website = models.URLField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    currency = models.CharField(max_length=3, default="KES", help_text="ISO 4217")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    onboarding_note = models.TextField(
        blank=True, help_text="The note of the last onboarding step (a rejection reason)."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # step -> (status it leaves, status it enters); the order is the default order.
    ONBOARDING_MOVES = {
        OnboardingStep.SUBMIT: (Status.DRAFT, Status.SUBMITTED),
        OnboardingStep.VERIFY: (Status.SUBMITTED, Status.VERIFIED),
        OnboardingStep.ACTIVATE: (Status.VERIFIED, Status.ACTIVE),
        OnboardingStep.REJECT: (Status.SUBMITTED, Status.DRAFT),
    }
    SUBMIT_REQUIRED_FIELDS = (
        "name",
        "legal_name",
        "registration_number",
        "email",
        "phone",
        "address",
        "city",
        "country",
    )

    class Meta(SoftDeleteModel.Meta):
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name

    def allowed_onboarding_steps(self) -> list[str]:
        """The onboarding steps that may follow the current status."""
        return [str(step) for step, (source, _) in self.ONBOARDING_MOVES.items() if source == self.status]

    def default_onboarding_step(self) -> str | None:
        """The step that moves onboarding forward (never ``reject``)."""
        forward = [step for step in self.allowed_onboarding_steps() if step != OnboardingStep.REJECT]
        return forward[0] if forward else None

    def missing_submit_fields(self) -> list[str]:
        """The fields that must be filled before the company can be submitted."""
        return [name for name in self.SUBMIT_REQUIRED_FIELDS if not str(getattr(self, name) or "").strip()]


class Membership(BaseModel):
    """A user's role in one company. Staff adding a user makes an invitation; the user
    is a member (sees and acts for the company, is seen by it) only once they accept."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited (waiting for the user to accept)"
        ACCEPTED = "accepted", "Accepted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MEMBERSHIP_ROLES, default=Role.AGENT)
    branch = models.ForeignKey("Branch", null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    is_active = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED, db_index=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company"),
            models.CheckConstraint(
                condition=models.Q(role__in=[value for value, _ in MEMBERSHIP_ROLES]), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["company", "role", "is_active"], name="membership_company_role_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.role} in {self.company_id}"


class Branch(SoftDeleteModel):
    """An office of a company (the back office's "stores")."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="branches")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    is_headquarters = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta(SoftDeleteModel.Meta):
        verbose_name_plural = "branches"
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], condition=models.Q(deleted_at__isnull=True), name="branch_unique_code"
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(is_headquarters=True, deleted_at__isnull=True),
                name="branch_one_headquarters",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="branch_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="branch_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
