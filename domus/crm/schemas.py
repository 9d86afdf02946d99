"""Shapes of the CRM API: clients, leads and their activities, public capture forms, stats."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, AliasChoices, field_validator, model_validator

from domus.core.filtering import DateOrDateTime, ListFilters, ordering_of
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr
from domus.core.schemas import EMAIL_PATTERN, FieldErrors, Input, ReadOut, body_alias, check, is_email, value_aliases
from domus.crm.models import ClientKind, LeadActivityKind, LeadSource, LeadStatus

Money = Decimal  # amounts arrive as JSON numbers or strings; the services round them


def _email(value: str | None) -> str | None:
    if value:
        value = value.strip().lower()
        try:
            if not is_email(value):
                raise ValidationError("not of EMAIL_PATTERN")
            validate_email(value)
        except ValidationError:
            raise ValueError("Enter a valid e-mail address.") from None
    return value


# Blank, or an address of EMAIL_PATTERN (the schema states what the validator enforces).
EmailStr = Annotated[
    str, Field(max_length=254, json_schema_extra={"pattern": f"^$|{EMAIL_PATTERN}"}), AfterValidator(_email)
]


def _budget_ordered(data: Any) -> Any:
    low, high = getattr(data, "budget_min", None), getattr(data, "budget_max", None)
    if low is not None and high is not None and low > high:
        raise FieldErrors({"budget_min": ["budget_min must not be above budget_max."]})
    return data


# The FastAPI CRM's ``client_type`` values that say what ``kind`` says.
CLIENT_TYPE_KINDS = {
    "individual": ClientKind.PERSON,
    "person": ClientKind.PERSON,
    "company": ClientKind.COMPANY,
    "corporate": ClientKind.COMPANY,
    "business": ClientKind.COMPANY,
    "organization": ClientKind.COMPANY,
}


def _client_kind(value: Any) -> Any:
    return CLIENT_TYPE_KINDS.get(value, value) if isinstance(value, str) else value


def _crm_client(body: dict[str, Any]) -> dict[str, Any]:
    """The FastAPI CRM's ``first_name``/``last_name`` make the client's ``name``."""
    if "name" not in body and ("first_name" in body or "last_name" in body):
        parts = [body.pop("first_name", None), body.pop("last_name", None)]
        body["name"] = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return body


_CRM_NAMES = {
    "first_name": {"type": "string", "description": "With last_name: the name."},
    "last_name": {"type": "string", "description": "With first_name: the name."},
}
_KIND = AliasChoices("kind", "client_type")
_KIND_HELP = "person or company (client_type: individual, corporate, ... also)."
_KIND_VALUES = value_aliases(CLIENT_TYPE_KINDS)
_LOCATIONS = AliasChoices("locations", "preferred_locations")


# Filters ------------------------------------------------------------------------------


class ClientFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at", "updated_at")
    kind: ClientKind | None = Field(None, description=_KIND_HELP, json_schema_extra=_KIND_VALUES)
    client_type: ClientKind | None = Field(
        None, description="Alias of kind (the CRM's name).", json_schema_extra=_KIND_VALUES
    )
    assigned_agent_id: UUID | None = None
    company_id: UUID | None = None
    tag: str | None = Field(None, max_length=50)

    kind_synonyms = field_validator("kind", "client_type", mode="before")(_client_kind)

    @model_validator(mode="after")
    def _client_type_is_kind(self) -> "ClientFilters":
        # Both given are two conditions on the one kind: different ones match nothing
        # (the selector filters by both), as any two filters that exclude each other.
        if self.kind is None:
            self.kind = self.client_type
        return self


class LeadFilters(ListFilters):
    ordering: str | None = ordering_of("score", "created_at", "updated_at", "name", "last_activity_at")
    status: LeadStatus | None = None
    source: LeadSource | None = None
    assigned_agent_id: UUID | None = None
    listing_id: UUID | None = None
    client_id: UUID | None = None
    company_id: UUID | None = None
    min_score: int | None = Field(None, ge=0, le=100)
    max_score: int | None = Field(None, ge=0, le=100)


class StatsFilters(Schema):
    start_date: DateOrDateTime | None = None
    end_date: DateOrDateTime | None = None
    company_id: UUID | None = None


# Clients ------------------------------------------------------------------------------


class ClientFields(Input):
    kind: ClientKind = Field(
        ClientKind.PERSON, validation_alias=_KIND, description=_KIND_HELP, json_schema_extra=_KIND_VALUES
    )
    name: str = Field(..., min_length=1, max_length=200)
    organization_name: str = Field("", max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=32)
    user_id: UUID | None = None
    assigned_agent_id: UUID | None = None
    budget_min: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    budget_max: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    locations: list[str] = Field(default_factory=list, max_length=50, validation_alias=_LOCATIONS)
    property_types: list[str] = Field(default_factory=list, max_length=20)
    bedrooms_min: int | None = Field(None, ge=0, le=100)
    tags: list[str] = Field(default_factory=list, max_length=50)
    notes: str = Field("", max_length=10000)

    crm_client = body_alias(_crm_client, accepts=_CRM_NAMES, replaces=("name",))
    kind_synonyms = field_validator("kind", mode="before")(_client_kind)

    @model_validator(mode="after")
    def _budget(self) -> "ClientFields":
        return _budget_ordered(self)


class ClientIn(ClientFields):
    """A new client; ``company_id`` may be left out when the caller works for one company only."""

    company_id: UUID | None = None


class ClientPatchIn(Input):
    kind: ClientKind = Field(None, validation_alias=_KIND, description=_KIND_HELP, json_schema_extra=_KIND_VALUES)
    name: str = Field(None, min_length=1, max_length=200)
    organization_name: str = Field(None, max_length=200)
    email: EmailStr = None
    phone: str = Field(None, max_length=32)
    user_id: UUID | None = None
    assigned_agent_id: UUID | None = None
    budget_min: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    budget_max: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode = None
    locations: list[str] = Field(None, max_length=50, validation_alias=_LOCATIONS)
    property_types: list[str] = Field(None, max_length=20)
    bedrooms_min: int | None = Field(None, ge=0, le=100)
    tags: list[str] = Field(None, max_length=50)
    notes: str = Field(None, max_length=10000)

    crm_client = body_alias(_crm_client, accepts=_CRM_NAMES)
    kind_synonyms = field_validator("kind", mode="before")(_client_kind)

    @model_validator(mode="after")
    def _budget(self) -> "ClientPatchIn":
        return _budget_ordered(self)


class ClientOut(Schema):
    id: UUID
    company_id: UUID
    kind: str
    name: str
    organization_name: str
    email: str
    phone: str
    user_id: UUID | None
    assigned_agent_id: UUID | None
    budget_min: MoneyStr | None
    budget_max: MoneyStr | None
    currency: str
    locations: list[str]
    property_types: list[str]
    bedrooms_min: int | None
    tags: list[str]
    notes: str
    created_at: datetime
    updated_at: datetime


# Leads ----------------------------------------------------------------------------------


class LeadIn(Input):
    """A lead entered by the company (a duplicate by e-mail or phone is merged into the existing one)."""

    company_id: UUID | None = None
    name: str = Field(..., min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=32)
    message: str = Field("", max_length=5000)
    source: LeadSource = LeadSource.MANUAL
    listing_id: UUID | None = None
    client_id: UUID | None = None
    assigned_agent_id: UUID | None = None
    budget_min: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    budget_max: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)

    @model_validator(mode="after")
    def _budget(self) -> "LeadIn":
        return _budget_ordered(self)


class LeadPatchIn(Input):
    name: str = Field(None, min_length=1, max_length=200)
    email: EmailStr = None
    phone: str = Field(None, max_length=32)
    message: str = Field(None, max_length=5000)
    status: LeadStatus | None = None
    lost_reason: str = Field(None, max_length=255)
    listing_id: UUID | None = None
    client_id: UUID | None = None
    assigned_agent_id: UUID | None = None
    budget_min: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    budget_max: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)

    @model_validator(mode="after")
    def _budget(self) -> "LeadPatchIn":
        return _budget_ordered(self)


class ScoreRuleOut(Schema):
    rule: str
    points: int
    max: int
    reason: str


class LeadOut(ReadOut):
    id: UUID
    company_id: UUID
    name: str
    email: str
    phone: str
    message: str
    source: str
    status: str
    lost_reason: str
    assigned_agent_id: UUID | None
    user_id: UUID | None
    listing_id: UUID | None
    client_id: UUID | None
    budget_min: MoneyStr | None
    budget_max: MoneyStr | None
    preferred_call_at: datetime | None
    score: int
    score_breakdown: list[ScoreRuleOut]
    scored_at: datetime | None
    activity_count: int
    last_activity_at: datetime | None
    merged_count: int
    created_at: datetime
    updated_at: datetime


class LeadActivityIn(Input):
    kind: LeadActivityKind
    note: str = Field("", max_length=5000)


class LeadActivityOut(Schema):
    id: UUID
    lead_id: UUID
    kind: str
    note: str
    actor_id: UUID | None
    created_at: datetime


# Public capture -------------------------------------------------------------------------


class CaptureBase(Input):
    """A public form: the lead goes to the listing's company, or to ``company_id``, else to
    the platform's default company (``DEFAULT_COMPANY_SLUG``, else the only active one).
    ``website`` is a honeypot: people leave it empty, bots fill it in."""

    name: str = Field(..., min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=32, pattern=r"^[0-9+()\-. ]*$")
    message: str = Field("", max_length=5000)
    listing_id: UUID | None = None
    company_id: UUID | None = None
    budget_min: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    budget_max: Money | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    website: str = Field("", max_length=200, description="Honeypot: leave empty.")

    @model_validator(mode="after")
    def _reachable(self) -> "CaptureBase":
        problems: dict[str, list[str]] = {}
        if not self.email and not self.phone.strip():
            problems["email"] = ["Give an e-mail address or a phone number."]
        low, high = self.budget_min, self.budget_max
        if low is not None and high is not None and low > high:
            problems["budget_min"] = ["budget_min must not be above budget_max."]
        check(problems)
        return self


class ContactIn(CaptureBase):
    pass


class ScheduleCallIn(CaptureBase):
    phone: str = Field(..., min_length=5, max_length=32, pattern=r"^[0-9+()\-. ]*$")
    preferred_at: datetime = Field(..., description="When to call (UTC ISO 8601), in the future.")


class CaptureOut(Schema):
    """What a public form learns: only that it was received (never the lead's data)."""

    detail: str
    reference: UUID


# Stats ------------------------------------------------------------------------------


class SourceQualityOut(Schema):
    source: str
    count: int
    average_score: float
    won: int
    conversion_rate: float


class LeadQualityOut(Schema):
    start_date: date | datetime | None
    end_date: date | datetime | None
    total: int
    sources: list[SourceQualityOut]


class ScoreBucketOut(Schema):
    label: str
    min: int
    max: int
    count: int
    share: float


class LeadScoreOut(Schema):
    total: int
    buckets: list[ScoreBucketOut]


class FunnelStageOut(Schema):
    stage: str
    count: int
    conversion_rate: float


class ConversionFunnelOut(Schema):
    total: int
    lost: int
    overall_conversion_rate: float
    stages: list[FunnelStageOut]
