"""Shapes of the sales API: offers, contracts, deals (the CRM's "transactions"), commissions."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AliasChoices, field_validator, model_validator

from domus.core.filtering import ListFilters, ordering_of
from domus.core.money import MAX_MONEY, CurrencyCode, MoneyStr, quantize
from domus.core.schemas import FieldErrors, Input, value_aliases
from domus.sales.models import (
    CLOSED_DEAL_STATUSES,
    CommissionStatus,
    ContractKind,
    ContractStatus,
    DealStatus,
    OfferStatus,
)

# Offers ---------------------------------------------------------------------------------


class OfferFilters(ListFilters):
    ordering: str | None = ordering_of("amount", "created_at", "expires_at")
    status: OfferStatus | None = None
    listing_id: UUID | None = None
    unit_id: UUID | None = None
    client_id: UUID | None = None
    buyer_id: UUID | None = None


class OfferIn(Input):
    """An offer on a listing (or one of its units). A customer offers for themself; an
    agent or staff member of the listing's company records one for a client."""

    listing_id: UUID
    unit_id: UUID | None = None
    client_id: UUID | None = None
    amount: Decimal = Field(..., gt=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    conditions: str = Field("", max_length=5000)
    expires_at: datetime | None = None


class CounterIn(Input):
    amount: Decimal = Field(..., gt=0, le=MAX_MONEY, decimal_places=2)
    conditions: str | None = Field(None, max_length=5000)
    expires_at: datetime | None = None


class OfferOut(Schema):
    id: UUID
    company_id: UUID
    listing_id: UUID
    unit_id: UUID | None
    client_id: UUID | None
    buyer_id: UUID | None
    parent_id: UUID | None
    made_by: str
    amount: MoneyStr
    currency: str
    conditions: str
    expires_at: datetime | None
    status: str
    responded_at: datetime | None
    created_by_id: UUID | None
    created_at: datetime
    updated_at: datetime


# Contracts -------------------------------------------------------------------------------


class PartyIn(Input):
    role: str = Field(..., min_length=1, max_length=50)
    name: str = Field(..., min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)


class ContractFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "price", "signed_at")
    status: ContractStatus | None = None
    kind: ContractKind | None = None
    offer_id: UUID | None = None
    listing_id: UUID | None = None


def _dates_ordered(data: Any) -> Any:
    start, end = getattr(data, "start_date", None), getattr(data, "end_date", None)
    if start is not None and end is not None and end < start:
        raise FieldErrors({"end_date": ["end_date must not be before start_date."]})
    return data


class ContractIn(Input):
    """A contract drawn from an accepted offer (``offer_id``); unset fields come from the offer
    and listing. Or, as the real-estate management system's clients send it, on a listing for
    a buyer at a price (``property``, ``buyer``, ``price``): the offer is recorded and accepted
    underneath."""

    offer_id: UUID | None = Field(None, description="The accepted offer; or listing_id, buyer_id and price.")
    listing_id: UUID | None = Field(
        None,
        validation_alias=AliasChoices("listing_id", "property"),
        description="Instead of offer_id: the listing (`property`) the buyer takes at `price`.",
    )
    unit_id: UUID | None = Field(None, description="With listing_id: the unit of the listing.")
    buyer_id: UUID | None = Field(
        None,
        validation_alias=AliasChoices("buyer_id", "buyer"),
        description="With listing_id: a client of the listing's company, or a user (`buyer`).",
    )
    kind: ContractKind | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    parties: list[PartyIn] | None = Field(None, max_length=20)
    terms: str = Field("", max_length=50000)
    price: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    start_date: date | None = None
    end_date: date | None = None
    completion_date: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> "ContractIn":
        return _dates_ordered(self)

    @model_validator(mode="after")
    def _source(self) -> "ContractIn":
        direct = {"listing_id": self.listing_id, "buyer_id": self.buyer_id, "unit_id": self.unit_id}
        if self.offer_id is not None:
            given = [name for name, value in direct.items() if value is not None]
            if given:
                raise FieldErrors({name: ["Not with offer_id (the offer names it)."] for name in given})
            return self
        problems: dict[str, list[str]] = {}
        if self.listing_id is None:
            problems["offer_id"] = ["Required (or listing_id with buyer_id and price)."]
        else:
            if self.buyer_id is None:
                problems["buyer_id"] = ["Required with listing_id."]
            if self.price is None or self.price <= 0:
                problems["price"] = ["A price above 0 is required with listing_id."]
        if problems:
            raise FieldErrors(problems)
        return self


class ContractPutIn(Input):
    """The whole editable contract (PUT): allowed while it is a draft."""

    kind: ContractKind
    title: str = Field(..., min_length=1, max_length=200)
    parties: list[PartyIn] = Field(..., max_length=20)
    terms: str = Field("", max_length=50000)
    price: Decimal = Field(..., ge=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode
    start_date: date | None = None
    end_date: date | None = None
    completion_date: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> "ContractPutIn":
        return _dates_ordered(self)


class ContractOut(Schema):
    id: UUID
    company_id: UUID
    offer_id: UUID
    listing_id: UUID
    kind: str
    title: str
    parties: list[dict[str, Any]]
    terms: str
    price: MoneyStr
    currency: str
    start_date: date | None
    end_date: date | None
    completion_date: date | None
    status: str
    sent_at: datetime | None
    signed_at: datetime | None
    signed_by_id: UUID | None
    signed_ip: str | None
    document_sha256: str
    voided_at: datetime | None
    created_at: datetime
    updated_at: datetime


# Deals --------------------------------------------------------------------------------------


# The FastAPI CRM's transaction statuses, and the deal stage each one is.
CRM_TRANSACTION_STATUSES = {
    "pending": DealStatus.LEAD,
    "in_progress": DealStatus.OFFER,
    "under_contract": DealStatus.UNDER_CONTRACT,
    "completed": DealStatus.CLOSED_WON,
    "closed": DealStatus.CLOSED_WON,
    "cancelled": DealStatus.CLOSED_LOST,
}
# Its transaction types, and the listing type each one is.
CRM_TRANSACTION_TYPES = {"sale": "sale", "purchase": "sale", "rent": "rent", "rental": "rent", "lease": "rent"}


def _deal_status(value: Any) -> Any:
    return CRM_TRANSACTION_STATUSES.get(value, value) if isinstance(value, str) else value


def _transaction_type(value: Any) -> Any:
    return CRM_TRANSACTION_TYPES.get(value, value) if isinstance(value, str) else value


_DEAL_STATUS_HELP = "A deal stage; the CRM's pending, in_progress, completed, closed, cancelled also."
_CRM_STATUSES = value_aliases(CRM_TRANSACTION_STATUSES)


class DealFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "updated_at", "amount", "closed_at")
    status: DealStatus | None = Field(None, description=_DEAL_STATUS_HELP, json_schema_extra=_CRM_STATUSES)
    listing_id: UUID | None = None
    client_id: UUID | None = None
    agent_id: UUID | None = Field(None, description="Listing or selling agent.")

    crm_status = field_validator("status", mode="before")(_deal_status)


class DealIn(Input):
    """Record a deal (or an offer stage of one). The amount defaults to the offer's, else the listing price."""

    listing_id: UUID = Field(..., validation_alias=AliasChoices("listing_id", "property_id"))
    listing_type: Literal["sale", "rent"] | None = Field(
        None,
        validation_alias=AliasChoices("listing_type", "transaction_type"),
        description="When given, must be the listing's type (sale or rent; the CRM's purchase, rental, lease also).",
        json_schema_extra=value_aliases(CRM_TRANSACTION_TYPES),
    )
    unit_id: UUID | None = None
    client_id: UUID | None = None
    lead_id: UUID | None = None
    offer_id: UUID | None = None
    contract_id: UUID | None = None
    title: str = Field("", max_length=200)
    amount: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    currency: CurrencyCode | None = None
    commission_rate: Decimal | None = Field(
        None, ge=0, le=100, decimal_places=2, description="Company staff and admins only (403 for others)."
    )
    listing_agent_id: UUID | None = Field(None, description="Always the listing's agent; another is a 400.")
    selling_agent_id: UUID | None = None
    status: DealStatus = Field(
        DealStatus.LEAD,
        description=_DEAL_STATUS_HELP + " A deal starts open: closed_won and closed_lost come by a status change.",
        json_schema_extra={
            "enum": [s for s in DealStatus.values if s not in CLOSED_DEAL_STATUSES],
            **_CRM_STATUSES,
        },
    )
    note: str = Field("", max_length=2000)

    crm_status = field_validator("status", mode="before")(_deal_status)
    crm_type = field_validator("listing_type", mode="before")(_transaction_type)


class DealStatusIn(Input):
    """The next status; the accepted offer or the contract may be attached as the deal
    advances (the amount then follows them unless given). ``closed_won`` needs an accepted
    offer or a signed contract and takes its amount (``amount`` then is a 400)."""

    status: DealStatus = Field(..., description=_DEAL_STATUS_HELP, json_schema_extra=_CRM_STATUSES)
    note: str = Field("", max_length=2000)
    offer_id: UUID | None = None
    contract_id: UUID | None = None
    amount: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)

    crm_status = field_validator("status", mode="before")(_deal_status)


class DealHistoryOut(Schema):
    from_status: str
    to_status: str
    note: str
    changed_by_id: UUID | None
    changed_at: datetime


class DealOut(Schema):
    id: UUID
    company_id: UUID
    listing_id: UUID
    unit_id: UUID | None
    client_id: UUID | None
    lead_id: UUID | None
    offer_id: UUID | None
    contract_id: UUID | None
    title: str
    amount: MoneyStr
    currency: str
    commission_rate: Decimal | None
    commission_total: MoneyStr | None = None
    listing_agent_id: UUID | None
    selling_agent_id: UUID | None
    status: str
    allowed_next_statuses: list[str]
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_allowed_next_statuses(obj: Any) -> list[str]:
        return obj.allowed_next_statuses()

    @staticmethod
    def resolve_commission_total(obj: Any) -> Decimal | None:
        total = getattr(obj, "commission_total", None)
        return quantize(total) if total is not None else None


class DealDetailOut(DealOut):
    history: list[DealHistoryOut]


# Commissions ------------------------------------------------------------------------------


class CommissionFilters(ListFilters):
    ordering: str | None = ordering_of("created_at", "amount", "approved_at", "paid_at")
    status: CommissionStatus | None = None
    deal_id: UUID | None = None
    agent_id: UUID | None = None


class CommissionOut(Schema):
    id: UUID
    company_id: UUID
    deal_id: UUID
    agent_id: UUID | None
    role: str
    rate: Decimal
    share: Decimal
    amount: MoneyStr
    currency: str
    status: str
    approved_by_id: UUID | None
    approved_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
