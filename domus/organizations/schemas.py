"""Shapes of the organizations API: companies, onboarding, memberships, branches."""

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator

from domus.core.filtering import ListFilters, one_of, ordering_of
from domus.core.money import CurrencyCode
from domus.core.roles import ROLE_ALIASES, role_alias
from domus.core.schemas import Input
from domus.organizations.models import MEMBERSHIP_ROLES, Company, Membership, OnboardingStep

# A platform admin is a user role, not a role inside a company.
_ROLE_VALUES = [value for value, _ in MEMBERSHIP_ROLES]
# The schema's statement of a role field: the roles and the aliases of one of them.
_ROLES = {"enum": [*_ROLE_VALUES, *(alias for alias, role in ROLE_ALIASES.items() if role in _ROLE_VALUES)]}


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if isinstance(value, str) else value


def _role(value: str | None) -> str | None:
    value = role_alias(value)
    if value is not None and value not in _ROLE_VALUES:
        raise ValueError(f"Unknown role; one of: {', '.join(_ROLE_VALUES)}.")
    return value


# Filters ------------------------------------------------------------------------------


class CompanyFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at")
    status: Company.Status | None = None
    country: str | None = Field(None, max_length=2)
    city: str | None = Field(None, max_length=100)


class MembershipFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "role")
    role: one_of(lambda: _ROLE_VALUES) | None = Field(None, description="A company role (advisor also).")
    status: Literal["invited", "accepted"] | None = Field(
        None, description="invited (waiting for the user) or accepted."
    )
    is_active: bool | None = None
    branch: UUID | None = None

    role_aliases = field_validator("role", mode="before")(role_alias)


class BranchFilters(ListFilters):
    ordering: str | None = ordering_of("name", "code", "created_at")
    company: UUID | None = None
    is_headquarters: bool | None = None
    is_active: bool | None = None
    city: str | None = Field(None, max_length=100)


# Companies ----------------------------------------------------------------------------


class CompanyIn(Input):
    """A company's business details (POST and PUT). The status changes only through
    onboarding; the slug is made from the name once and never changes."""

    name: str = Field(..., min_length=1, max_length=200)
    legal_name: str = Field("", max_length=200)
    registration_number: str = Field("", max_length=64)
    tax_id: str = Field("", max_length=64)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    website: str = Field("", max_length=200)
    address: str = Field("", max_length=255)
    city: str = Field("", max_length=100)
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2.")
    currency: CurrencyCode = Field("KES", description="ISO 4217.")
    status: Company.Status | None = Field(
        None, description="Read-only here: a value other than the current one is refused (use onboard)."
    )

    upper_codes = field_validator("country", "currency")(_upper)


class CompanyPatchIn(Input):
    """Any subset of the writable company fields (``null`` is refused: send ``""``)."""

    name: str = Field(None, min_length=1, max_length=200)
    legal_name: str = Field(None, max_length=200)
    registration_number: str = Field(None, max_length=64)
    tax_id: str = Field(None, max_length=64)
    email: str = Field(None, max_length=254)
    phone: str = Field(None, max_length=32)
    website: str = Field(None, max_length=200)
    address: str = Field(None, max_length=255)
    city: str = Field(None, max_length=100)
    country: str = Field(None, pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2.")
    currency: CurrencyCode = Field(None, description="ISO 4217.")
    status: Company.Status = Field(
        None, description="Read-only here: a value other than the current one is refused (use onboard)."
    )

    upper_codes = field_validator("country", "currency")(_upper)


class CompanyOut(Schema):
    id: UUID
    name: str
    slug: str
    legal_name: str
    registration_number: str
    tax_id: str
    email: str
    phone: str
    website: str
    address: str
    city: str
    country: str
    currency: str
    status: str
    onboarding_note: str
    submitted_at: datetime | None
    verified_at: datetime | None
    activated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class OnboardIn(Input):
    """One onboarding step; without ``step`` the next forward step of the current status."""

    step: OnboardingStep | None = None
    note: str = Field("", max_length=2000, description="Required to reject.")


# Memberships --------------------------------------------------------------------------


class MembershipIn(Input):
    user_id: UUID
    role: str = Field(..., json_schema_extra=_ROLES, description=f"One of: {', '.join(_ROLE_VALUES)}.")
    branch_id: UUID | None = None

    valid_role = field_validator("role")(_role)


class MembershipPatchIn(Input):
    role: str = Field(None, json_schema_extra=_ROLES, description=f"One of: {', '.join(_ROLE_VALUES)}.")
    branch_id: UUID | None = Field(None, description="A branch of the same company; null unassigns.")
    is_active: bool = Field(None)

    valid_role = field_validator("role")(_role)


class MemberUserOut(Schema):
    id: UUID
    email: str | None = Field(description="null until the user accepts the invitation.")
    username: str
    first_name: str
    last_name: str


class MembershipOut(Schema):
    id: UUID
    company_id: UUID
    user: MemberUserOut
    role: str
    branch_id: UUID | None
    is_active: bool
    status: str = Field(description="invited (grants nothing yet) or accepted.")
    invited_by_id: UUID | None
    accepted_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_user(obj) -> dict:
        """An invited user's contact details stay theirs until they accept."""
        user = obj.user
        accepted = obj.status == Membership.Status.ACCEPTED
        return {
            "id": user.pk,
            "email": user.email if accepted else None,
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
        }


class InviterOut(Schema):
    id: UUID
    first_name: str
    last_name: str


class InvitationOut(Schema):
    """A pending invitation as its invitee sees it."""

    id: UUID
    company_id: UUID
    company_name: str
    role: str
    branch_id: UUID | None
    invited_by: InviterOut | None
    created_at: datetime

    @staticmethod
    def resolve_company_name(obj) -> str:
        return obj.company.name


# Branches -----------------------------------------------------------------------------


class BranchFields(Input):
    name: str = Field(..., min_length=1, max_length=200)
    code: str = Field(..., min_length=1, max_length=32, description="Unique among the company's branches.")
    address: str = Field("", max_length=255)
    city: str = Field("", max_length=100)
    latitude: Decimal | None = Field(None, ge=-90, le=90, description="Degrees; six decimals are kept.")
    longitude: Decimal | None = Field(None, ge=-180, le=180, description="Degrees; six decimals are kept.")
    phone: str = Field("", max_length=32)
    is_headquarters: bool = Field(False, description="At most one live headquarters per company.")
    is_active: bool = True


class BranchIn(BranchFields):
    company_id: UUID | None = Field(
        None, description="Default: the company you are the only staff of (an admin: the platform's default company)."
    )


class BranchPatchIn(Input):
    """Any subset of the writable branch fields; ``latitude``/``longitude`` accept ``null``."""

    name: str = Field(None, min_length=1, max_length=200)
    code: str = Field(None, min_length=1, max_length=32)
    address: str = Field(None, max_length=255)
    city: str = Field(None, max_length=100)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    phone: str = Field(None, max_length=32)
    is_headquarters: bool = None
    is_active: bool = None


class BranchOut(Schema):
    id: UUID
    company_id: UUID
    company_name: str
    name: str
    code: str
    address: str
    city: str
    latitude: float | None
    longitude: float | None
    phone: str
    is_headquarters: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_company_name(obj) -> str:
        return obj.company.name
