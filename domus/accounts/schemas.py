"""Shapes of the accounts API."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator, model_validator

from domus.core.filtering import ListFilters, one_of, ordering_of
from domus.core.roles import ROLE_ALIASES, Role, role_alias
from domus.core.schemas import (
    EMAIL_PATTERN,
    FieldErrors,
    Input,
    body_alias,
    is_email,
    one_of_required,
    stated_time_zones,
    time_zones,
)
from domus.organizations.selectors import user_companies

# Who may choose their own role at sign-up; staff and admins are made by an admin.
SELF_REGISTER_ROLES = (Role.CUSTOMER, Role.OWNER, Role.TENANT, Role.AGENT)
# Django's username characters without "@", so a username can never look like
# someone else's e-mail at login.
USERNAME_PATTERN = r"^[\w.+-]+$"
_USERNAME = re.compile(USERNAME_PATTERN)
MAX_TAGS = 20
# What the schema states of these fields (the validators below enforce the same).
_EMAIL = {"pattern": EMAIL_PATTERN}
_ROLES = {"enum": [*Role.values, *ROLE_ALIASES]}
_REGISTER_ROLES = {"enum": [*SELF_REGISTER_ROLES, *(a for a, r in ROLE_ALIASES.items() if r in SELF_REGISTER_ROLES)]}
_TIME_ZONE = {"enum": stated_time_zones()}
# Blank, or an http(s) URL on a host name (URLValidator also takes IP addresses and ports).
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HTTP_URL = {"pattern": rf"^$|^https?://{_LABEL}(\.{_LABEL})*\.[A-Za-z]{{2,63}}(/[^\s\u0000]*)?$"}


# Field validators --------------------------------------------------------------------


def _email(value: str | None) -> str | None:
    if value is None:
        return value
    value = value.strip().lower()
    try:
        if not is_email(value):
            raise DjangoValidationError("not of EMAIL_PATTERN")
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("Enter a valid e-mail address.") from None
    return value


def _username(value: str | None) -> str | None:
    if value is None:
        return value
    value = value.strip()
    if not _USERNAME.fullmatch(value):
        raise ValueError("Use letters, digits and . + - _ only.")
    return value


def _role(value: str | None) -> str | None:
    value = role_alias(value)
    if value is not None and value not in Role.values:
        raise ValueError(f"Unknown role; one of: {', '.join(Role.values)}.")
    return value


def _self_register_role(value: str) -> str:
    value = role_alias(value)
    if value not in SELF_REGISTER_ROLES:
        raise ValueError(
            f"Choose one of: {', '.join(SELF_REGISTER_ROLES)}. Staff and admin accounts are made by an admin."
        )
    return value


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _url(value: str | None) -> str | None:
    value = _strip(value)
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            raise ValueError("Enter a valid http(s) URL.") from None
    return value


def _country(value: str | None) -> str | None:
    value = _strip(value)
    if value is None:
        return value
    if value and not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("Use an ISO 3166-1 alpha-2 code, like KE.")
    return value.upper()


def _timezone(value: str | None) -> str | None:
    value = _strip(value)
    if value is not None and value not in time_zones():
        raise ValueError("Unknown time zone; use an IANA name like Africa/Nairobi.")
    return value


def _birth_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= timezone.now().date():
        raise ValueError("Enter a date of birth between 1900-01-01 and today.")
    return value


def _cents(value: Decimal | None) -> Decimal | None:
    """Two decimal places, as the database keeps them (``4.5`` -> ``4.50``)."""
    return value.quantize(Decimal("0.01")) if value is not None else None


def _tags(max_length: int):
    """A list of short strings: stripped, blanks and duplicates dropped, order kept."""

    def clean(values: list[str] | None) -> list[str] | None:
        if values is None:
            return values
        seen: dict[str, None] = {}
        for value in values:
            value = value.strip()
            if len(value) > max_length:
                raise ValueError(f"Each item may have at most {max_length} characters.")
            if value and value.lower() not in {v.lower() for v in seen}:
                seen[value] = None
        if len(seen) > MAX_TAGS:
            raise ValueError(f"At most {MAX_TAGS} items.")
        return list(seen)

    return clean


# Authentication ----------------------------------------------------------------------


class LoginIn(Input):
    """Log in with ``username`` or ``email`` (either may carry the e-mail) and ``password``."""

    model_config = ConfigDict(json_schema_extra=one_of_required("username", "email"))

    username: str | None = Field(None, max_length=254)
    email: str | None = Field(None, max_length=254)
    password: str = Field(..., min_length=1, max_length=128)
    grant_type: Literal["password"] | None = Field(None, description="OAuth2 password clients send `password`.")
    scope: str | None = Field(None, max_length=1000, description="OAuth2; accepted, Domus tokens carry no scopes.")

    @model_validator(mode="after")
    def one_identifier(self) -> "LoginIn":
        if not (self.username or self.email):
            raise FieldErrors({"username": ["Provide a username or an email."]})
        return self

    @property
    def identifier(self) -> str:
        return (self.username or self.email or "").strip()


class RefreshIn(Input):
    refresh: str = Field(..., min_length=1)


class LogoutIn(Input):
    refresh: str | None = Field(None, min_length=1, description="Without it, every session of the caller ends.")


class TokenIn(Input):
    token: str = Field(..., min_length=1)


class TokenPairOut(Schema):
    access: str
    refresh: str
    token_type: str = "Bearer"
    access_expires_at: datetime
    refresh_expires_at: datetime


class VerifyOut(Schema):
    valid: bool


class RouteOut(Schema):
    method: str
    path: str
    alias_of: str | None
    permission: str
    summary: str


class RegisterIn(Input):
    """Sign up. The account stays inactive until the e-mailed token activates it."""

    email: str = Field(..., max_length=254, json_schema_extra=_EMAIL)
    password: str = Field(..., min_length=1, max_length=128)
    password_confirm: str | None = Field(None, max_length=128, description="When given, must equal password.")
    username: str | None = Field(
        None,
        min_length=1,
        max_length=150,
        json_schema_extra={"pattern": USERNAME_PATTERN},
        description="Made from the e-mail if absent.",
    )
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)
    role: str = Field(
        Role.CUSTOMER, json_schema_extra=_REGISTER_ROLES, description=f"One of: {', '.join(SELF_REGISTER_ROLES)}."
    )

    valid_email = field_validator("email")(_email)
    valid_username = field_validator("username")(_username)
    valid_role = field_validator("role")(_self_register_role)
    stripped = field_validator("first_name", "last_name", "phone")(_strip)


class ActivateIn(Input):
    token: str = Field(..., min_length=1, max_length=256)


class ChangePasswordIn(Input):
    old_password: str = Field(..., min_length=1, max_length=128)
    new_password: str = Field(..., min_length=1, max_length=128)
    refresh: str | None = Field(
        None, min_length=1, description="The caller's refresh token: its session stays signed in, all others end."
    )


class ForgotPasswordIn(Input):
    email: str = Field(..., max_length=254, json_schema_extra=_EMAIL)

    valid_email = field_validator("email")(_email)


class EmailChangeIn(Input):
    """Ask to move the account to ``new_email`` (confirmed from that address)."""

    new_email: str = Field(..., max_length=254, json_schema_extra=_EMAIL)
    password: str = Field(..., min_length=1, max_length=128, description="The current password.")

    valid_email = field_validator("new_email")(_email)


class EmailConfirmIn(Input):
    token: str = Field(..., min_length=1, max_length=1024)


class ResetPasswordIn(Input):
    token: str = Field(..., min_length=1, max_length=256)
    new_password: str = Field(..., min_length=1, max_length=128)


# Profiles ----------------------------------------------------------------------------


class ProfileIn(Input):
    """A user's personal details (POST and PUT: omitted fields take their defaults)."""

    bio: str = Field("", max_length=5000)
    avatar_url: str = Field("", max_length=200, json_schema_extra=_HTTP_URL)
    date_of_birth: date | None = None
    address: str = Field("", max_length=255)
    city: str = Field("", max_length=100)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2.")
    language: str = Field("en", min_length=2, max_length=10)
    timezone: str = Field("UTC", max_length=64, json_schema_extra=_TIME_ZONE, description="IANA time zone name.")

    valid_url = field_validator("avatar_url")(_url)
    valid_country = field_validator("country")(_country)
    valid_timezone = field_validator("timezone")(_timezone)
    valid_birth_date = field_validator("date_of_birth")(_birth_date)
    stripped = field_validator("bio", "address", "city", "language")(_strip)


class ProfilePatchIn(Input):
    """Any subset of the profile fields (``null`` is refused except for date_of_birth)."""

    bio: str = Field(None, max_length=5000)
    avatar_url: str = Field(None, max_length=200, json_schema_extra=_HTTP_URL)
    date_of_birth: date | None = None
    address: str = Field(None, max_length=255)
    city: str = Field(None, max_length=100)
    country: str = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2.")
    language: str = Field(None, min_length=2, max_length=10)
    timezone: str = Field(None, max_length=64, json_schema_extra=_TIME_ZONE, description="IANA time zone name.")

    valid_url = field_validator("avatar_url")(_url)
    valid_country = field_validator("country")(_country)
    valid_timezone = field_validator("timezone")(_timezone)
    valid_birth_date = field_validator("date_of_birth")(_birth_date)
    stripped = field_validator("bio", "address", "city", "language")(_strip)


class ProfileCreateIn(ProfileIn):
    user_id: UUID | None = Field(None, description="Admins only: whose profile. Defaults to the caller.")


class ProfileOut(Schema):
    id: UUID
    user_id: UUID
    bio: str
    avatar_url: str
    date_of_birth: date | None
    address: str
    city: str
    country: str
    language: str
    timezone: str
    created_at: datetime
    updated_at: datetime


class ProfileFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "city", "country")
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)


# Users -------------------------------------------------------------------------------


class UserOut(Schema):
    id: UUID
    email: str
    username: str
    first_name: str
    last_name: str
    phone: str
    role: str
    is_active: bool
    date_joined: datetime
    last_login: datetime | None


class CompanyRoleOut(Schema):
    """A company the user is an accepted member of, and their role in it."""

    id: UUID
    name: str
    role: str


class LoginOut(TokenPairOut):
    user: UserOut
    companies: list[CompanyRoleOut] = Field(..., description="The caller's companies and roles, by name.")


class MeOut(UserOut):
    profile: ProfileOut | None
    companies: list[CompanyRoleOut] = Field(..., description="The caller's companies and roles, by name.")

    @staticmethod
    def resolve_companies(obj) -> list[dict[str, Any]]:
        return user_companies(obj)

    @staticmethod
    def resolve_profile(obj) -> object | None:
        # A missing one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
        return getattr(obj, "profile", None)


class _SelfManagedFields(Input):
    """Fields a user may send about themselves but not change: sending the current
    value is accepted (a GET body sent back), another value is a 400."""

    role: str | None = Field(None, description="Read-only here.")
    is_active: bool | None = Field(None, description="Read-only here.")


_SAME_EMAIL = "Must equal the current address: change it with POST /api/v1/accounts/me/email/."


def _nest_profile_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Profile fields sent at the top level (``{"bio": ..., "city": ...}``, as the original
    property backend's profile form sends them) go into ``profile``; a field given both
    ways stays where it is, and is then a 400 as an unknown field."""
    flat = {name: data[name] for name in ProfileIn.model_fields if name in data}
    nested = data.get("profile")
    if not flat or not (nested is None or isinstance(nested, dict)):
        return data
    nested = nested or {}
    moved = {name: value for name, value in flat.items() if name not in nested}
    rest = {name: value for name, value in data.items() if name not in moved}
    return {**rest, "profile": {**nested, **moved}}


class _AccountFields(_SelfManagedFields):
    """Profile fields may come flat (see ``_nest_profile_fields``)."""

    nest_profile_fields = body_alias(
        _nest_profile_fields, accepts={name: {"description": f"profile.{name}"} for name in ProfileIn.model_fields}
    )


class MeIn(_AccountFields):
    """PUT of the caller's account: with ``email`` and ``username``, a replacement (the
    names and phone omitted mean blank; ``profile``, when given, replaces the profile);
    without them, only the fields sent change (as DRF clients send a PUT)."""

    email: str = Field(None, max_length=254, json_schema_extra=_EMAIL, description=_SAME_EMAIL)
    username: str = Field(None, min_length=1, max_length=150, json_schema_extra={"pattern": USERNAME_PATTERN})
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)
    profile: ProfileIn | None = None

    valid_email = field_validator("email")(_email)
    valid_username = field_validator("username")(_username)
    stripped = field_validator("first_name", "last_name", "phone")(_strip)


class MePatchIn(_AccountFields):
    """Any subset of the caller's account fields and of ``profile``."""

    email: str = Field(None, max_length=254, json_schema_extra=_EMAIL, description=_SAME_EMAIL)
    username: str = Field(None, min_length=1, max_length=150, json_schema_extra={"pattern": USERNAME_PATTERN})
    first_name: str = Field(None, max_length=150)
    last_name: str = Field(None, max_length=150)
    phone: str = Field(None, max_length=32)
    profile: ProfilePatchIn = None

    valid_email = field_validator("email")(_email)
    valid_username = field_validator("username")(_username)
    stripped = field_validator("first_name", "last_name", "phone")(_strip)


class UserCreateIn(Input):
    """A user made by a platform admin (any role), active unless told otherwise."""

    email: str = Field(..., max_length=254, json_schema_extra=_EMAIL)
    password: str = Field(..., min_length=1, max_length=128)
    username: str | None = Field(
        None,
        min_length=1,
        max_length=150,
        json_schema_extra={"pattern": USERNAME_PATTERN},
        description="Made from the e-mail if absent.",
    )
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)
    role: str = Field(Role.CUSTOMER, json_schema_extra=_ROLES, description=f"One of: {', '.join(Role.values)}.")
    is_active: bool = True

    valid_email = field_validator("email")(_email)
    valid_username = field_validator("username")(_username)
    valid_role = field_validator("role")(_role)
    stripped = field_validator("first_name", "last_name", "phone")(_strip)


class UserIn(Input):
    """PUT of a user by a platform admin."""

    email: str = Field(..., max_length=254, json_schema_extra=_EMAIL)
    username: str = Field(..., min_length=1, max_length=150, json_schema_extra={"pattern": USERNAME_PATTERN})
    role: str = Field(..., json_schema_extra=_ROLES, description=f"One of: {', '.join(Role.values)}.")
    is_active: bool = True
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)

    valid_email = field_validator("email")(_email)
    valid_username = field_validator("username")(_username)
    valid_role = field_validator("role")(_role)
    stripped = field_validator("first_name", "last_name", "phone")(_strip)


class UserPatchIn(Input):
    email: str = Field(None, max_length=254, json_schema_extra=_EMAIL, description=_SAME_EMAIL)
    username: str = Field(None, min_length=1, max_length=150, json_schema_extra={"pattern": USERNAME_PATTERN})
    role: str = Field(None, json_schema_extra=_ROLES, description=f"One of: {', '.join(Role.values)}.")
    is_active: bool = None
    first_name: str = Field(None, max_length=150)
    last_name: str = Field(None, max_length=150)
    phone: str = Field(None, max_length=32)

    valid_email = field_validator("email")(_email)
    valid_username = field_validator("username")(_username)
    valid_role = field_validator("role")(_role)
    stripped = field_validator("first_name", "last_name", "phone")(_strip)


class UserFilters(ListFilters):
    ordering: str | None = ordering_of(
        "email", "username", "first_name", "last_name", "role", "date_joined", "last_login", "created_at"
    )
    role: one_of(lambda: Role.values) | None = Field(None, description="A role (advisor, system_admin also).")
    is_active: bool | None = None

    role_aliases = field_validator("role", mode="before")(role_alias)


# Agent profiles ----------------------------------------------------------------------


class AgentProfileIn(Input):
    """An agent profile (PUT; POST adds ``user_id``). ``rating`` and ``is_verified``
    are set by platform admins only; others may send the current value back."""

    company_id: UUID | None = None
    licence_number: str = Field("", max_length=64)
    agency_name: str = Field("", max_length=200)
    bio: str = Field("", max_length=5000)
    specialties: list[str] = Field(
        default_factory=list,
        max_length=MAX_TAGS,
        description=f"At most {MAX_TAGS}, 64 characters each.",
        json_schema_extra={"items": {"type": "string", "maxLength": 64}},
    )
    languages: list[str] = Field(
        default_factory=list,
        max_length=MAX_TAGS,
        description=f"At most {MAX_TAGS}, 32 characters each.",
        json_schema_extra={"items": {"type": "string", "maxLength": 32}},
    )
    commission_rate: Decimal | None = Field(
        None,
        ge=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description="Company staff and admins only; omitted: left as is.",
    )
    rating: Decimal | None = Field(None, ge=0, le=5, max_digits=3, decimal_places=2, description="Admins only.")
    is_verified: bool | None = Field(None, description="Admins only.")

    two_places = field_validator("commission_rate", "rating")(_cents)
    valid_specialties = field_validator("specialties")(_tags(64))
    valid_languages = field_validator("languages")(_tags(32))
    stripped = field_validator("licence_number", "agency_name", "bio")(_strip)


class AgentProfileCreateIn(AgentProfileIn):
    user_id: UUID | None = Field(None, description="Admins only: the agent. Defaults to the caller.")


class AgentProfilePatchIn(Input):
    company_id: UUID | None = None
    licence_number: str = Field(None, max_length=64)
    agency_name: str = Field(None, max_length=200)
    bio: str = Field(None, max_length=5000)
    specialties: list[str] = Field(
        None,
        max_length=MAX_TAGS,
        description=f"At most {MAX_TAGS}, 64 characters each.",
        json_schema_extra={"items": {"type": "string", "maxLength": 64}},
    )
    languages: list[str] = Field(
        None,
        max_length=MAX_TAGS,
        description=f"At most {MAX_TAGS}, 32 characters each.",
        json_schema_extra={"items": {"type": "string", "maxLength": 32}},
    )
    commission_rate: Decimal = Field(
        None, ge=0, le=100, max_digits=5, decimal_places=2, description="Company staff and admins only."
    )
    rating: Decimal = Field(None, ge=0, le=5, max_digits=3, decimal_places=2, description="Admins only.")
    is_verified: bool = Field(None, description="Admins only.")

    two_places = field_validator("commission_rate", "rating")(_cents)
    valid_specialties = field_validator("specialties")(_tags(64))
    valid_languages = field_validator("languages")(_tags(32))
    stripped = field_validator("licence_number", "agency_name", "bio")(_strip)


class AgentUserOut(Schema):
    """What the public sees of an agent's account."""

    id: UUID
    username: str
    first_name: str
    last_name: str


class AgentProfileOut(Schema):
    id: UUID
    user: AgentUserOut
    company_id: UUID | None
    company_name: str | None
    licence_number: str
    agency_name: str
    bio: str
    specialties: list[str]
    languages: list[str]
    commission_rate: Decimal
    rating: Decimal
    is_verified: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_company_name(obj) -> str | None:
        return obj.company.name if obj.company_id else None


class AgentProfileFilters(ListFilters):
    ordering: str | None = ordering_of("rating", "created_at", "commission_rate")
    company: UUID | None = None
    is_verified: bool | None = None
