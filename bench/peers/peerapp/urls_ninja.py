"""The bare Django Ninja app: one NinjaAPI, the five measured operations, Ninja's own
page-number pagination."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import path
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer

from peerapp import common


class Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return common.user_from_token(token)


api = NinjaAPI(urls_namespace="peer", docs_url=None, openapi_url=None)


class HealthOut(Schema):
    status: str
    version: str
    time: datetime


class ListingCardOut(Schema):
    id: UUID
    title: str
    name: str
    price: Decimal
    currency: str
    bedrooms: int | None
    bathrooms: int | None
    area_m2: Decimal | None
    city: str
    property_type: str
    listing_type: str
    status: str
    is_published: bool
    latitude: float | None
    longitude: float | None
    maps_url: str
    features: list[str]
    distance_km: float | None = None
    cover_thumbnail_url: str | None = None
    created_at: datetime

    @staticmethod
    def resolve_features(obj: Any) -> list[str]:
        return [feature.slug for feature in obj.features.all()]

    @staticmethod
    def resolve_cover_thumbnail_url(obj: Any) -> str | None:
        return getattr(obj, "cover_thumbnail", None) or None


class ListingOut(ListingCardOut):
    description: str
    year_built: int | None
    address: str
    state: str
    zip_code: str
    country: str
    total_units: int
    published_at: datetime | None
    company_id: UUID | None
    owner_id: UUID
    agent_id: UUID | None
    allowed_next_statuses: list[str]
    updated_at: datetime

    @staticmethod
    def resolve_allowed_next_statuses(obj: Any) -> list[str]:
        return obj.allowed_next_statuses()


class SearchIn(Schema):
    city: str | None = None
    listing_type: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    ordering: str | None = None


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


class CompanyRoleOut(Schema):
    id: UUID
    name: str
    role: str


class MeOut(Schema):
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
    profile: ProfileOut | None
    companies: list[CompanyRoleOut]

    @staticmethod
    def resolve_profile(obj: Any) -> Any:
        return getattr(obj, "profile", None)

    @staticmethod
    def resolve_companies(obj: Any) -> list[dict[str, Any]]:
        return common.companies(obj)


class LeadIn(Schema):
    company_id: UUID
    name: str = Field(..., min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    message: str = Field("", max_length=5000)
    source: str = "manual"


class LeadOut(Schema):
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
    budget_min: Decimal | None
    budget_max: Decimal | None
    preferred_call_at: datetime | None
    score: int
    score_breakdown: list[dict[str, Any]]
    scored_at: datetime | None
    activity_count: int
    last_activity_at: datetime | None
    merged_count: int
    created_at: datetime
    updated_at: datetime


@api.get("/health/", response=HealthOut)
def health(request: HttpRequest):
    return {"status": "ok", "version": "0.1.0", "time": timezone.now()}


@api.get("/properties/", response=list[ListingCardOut])
@paginate(PageNumberPagination, page_size=20)
def listing_search(request: HttpRequest, filters: Query[SearchIn]):
    return common.listing_search(filters.dict())


@api.get("/properties/{listing_id}/", response=ListingOut)
def listing_detail(request: HttpRequest, listing_id: UUID):
    listing = common.listing_detail(listing_id)
    if listing is None:
        raise HttpError(404, "Listing not found.")
    return listing


@api.get("/accounts/me/", response=MeOut, auth=Bearer())
def me(request: HttpRequest):
    return request.auth


@api.post("/crm/leads/", response={201: LeadOut}, auth=Bearer())
def lead_create(request: HttpRequest, payload: LeadIn):
    if not common.may_keep_leads(request.auth, payload.company_id):
        raise HttpError(403, "Only agents and staff of a company keep leads.")
    return 201, common.lead_create(payload.dict())


urlpatterns = [path("api/v1/", api.urls)]
