"""Shapes of the listings API: listings (search filters, result cards, details),
units, price history, facets, features, visits, favorites, saved searches and media."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.files.storage import default_storage
from ninja import Field, Schema
from pydantic import AliasChoices, ConfigDict, WithJsonSchema, field_validator, model_validator

from domus.core.filtering import DateOrDateTime, ListFilters, ordering_of
from domus.core.money import CurrencyCode, MoneyStr
from domus.core.schemas import NOT_BLANK, FieldErrors, Input, ReadOut, body_alias, one_of_required, value_aliases
from domus.properties.models import (
    AlertFrequency,
    ListingStatus,
    ListingType,
    MediaKind,
    PropertyType,
    UnitStatus,
    VisitStatus,
)


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if isinstance(value, str) else value


def _storage_url(name: str | None) -> str | None:
    return default_storage.url(name) if name else None


# Filters ------------------------------------------------------------------------------


# Coordinates as the schema states them (``selectors.parse_bbox``/``parse_near`` also take
# spaces and exponents): plain decimals within the ranges.
_LNG = r"-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)"
_LAT = r"-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?)"
BBOX = f"^{_LNG},{_LAT},{_LNG},{_LAT}$"
# An empty filter is no filter; the map's bbox is required.
BBOX_SCHEMA = {"pattern": f"^$|{BBOX}"}
MAP_BBOX_SCHEMA = {"pattern": BBOX}
NEAR_SCHEMA = {"pattern": f"^$|^{_LAT},{_LNG}$"}


class FeatureFilters(ListFilters):
    ordering: str | None = ordering_of("name", "slug", "created_at")


class SavedSearchFilters(ListFilters):
    ordering: str | None = ordering_of("name", "created_at")


class ListingFilters(ListFilters):
    """Search parameters of ``GET /properties/`` (and of the facets)."""

    ordering: str | None = ordering_of(
        "price",
        "created_at",
        "area",
        "bedrooms",
        more="Also distance_km (nearest first) with near, and relevance alone with search.",
    )

    property_type: PropertyType | None = None
    listing_type: ListingType | None = None
    status: ListingStatus | None = None
    city: str | None = Field(None, max_length=100, description="Exact city, case-insensitive.")
    state: str | None = Field(None, max_length=100)
    zip_code: str | None = Field(None, max_length=20)
    min_price: Decimal | None = Field(None, ge=0)
    max_price: Decimal | None = Field(None, ge=0)
    min_bedrooms: int | None = Field(None, ge=0, le=1000)
    min_bathrooms: int | None = Field(None, ge=0, le=1000)
    min_area: Decimal | None = Field(None, ge=0)
    max_area: Decimal | None = Field(None, ge=0)
    features: str | None = Field(None, max_length=500, description="Comma-separated slugs; listings having all.")
    company: UUID | None = None
    agent: UUID | None = None
    bbox: str | None = Field(
        None, max_length=100, description="min_lng,min_lat,max_lng,max_lat", json_schema_extra=BBOX_SCHEMA
    )
    near: str | None = Field(
        None, max_length=60, description="lat,lng; adds distance_km to each result.", json_schema_extra=NEAR_SCHEMA
    )
    radius_km: float | None = Field(None, gt=0, le=500, description="Radius around near (default 10 km).")


# Listings -----------------------------------------------------------------------------


SQUARE_METRES_PER_SQUARE_FOOT = Decimal("0.09290304")


_CRM_LISTING = {
    "square_feet": {"type": ["number", "string", "null"], "description": "The area in square feet (for area_m2)."}
}


def _crm_listing(body: dict[str, Any]) -> dict[str, Any]:
    """The FastAPI CRM's property body: ``square_feet`` is converted to ``area_m2``
    (rounded to the cent); ``status: active`` is an available, published listing."""
    if "square_feet" in body and "area_m2" not in body:
        square_feet = body.pop("square_feet")
        try:
            area = (Decimal(str(square_feet)) * SQUARE_METRES_PER_SQUARE_FOOT).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            area = square_feet  # not a number: the area_m2 check names it
        body["area_m2"] = None if square_feet is None else area
    if body.get("status") == "active":
        body["status"] = ListingStatus.AVAILABLE
        body.setdefault("is_published", True)
    return body


# latitude and longitude are both given, or neither (absent or null).
COORDINATES_IN_PAIRS = {
    "anyOf": [
        {
            "required": ["latitude", "longitude"],
            "properties": {"latitude": {"not": {"type": "null"}}, "longitude": {"not": {"type": "null"}}},
        },
        {"properties": {"latitude": {"type": "null"}, "longitude": {"type": "null"}}},
    ]
}


class ListingIn(Input):
    """A listing (POST, PUT). ``name`` (the management system's field) is an alias of ``title``;
    without either, the title is the address and city (the FastAPI CRM's body)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [one_of_required("title", "name"), COORDINATES_IN_PAIRS]})

    title: str | None = Field(None, min_length=1, max_length=200)
    name: str | None = Field(None, min_length=1, max_length=200, description="Alias of title.")
    description: str = Field("", max_length=20000)
    property_type: PropertyType = PropertyType.OTHER
    listing_type: ListingType = ListingType.SALE
    status: ListingStatus | None = Field(
        None,
        description="Moves only along the allowed transitions (the CRM's active: available and published).",
        json_schema_extra=value_aliases({"active": ListingStatus.AVAILABLE}),
    )
    price: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    currency: CurrencyCode | None = Field(None, description="ISO 4217; default: the company's.")
    bedrooms: int | None = Field(None, ge=0, le=1000)
    bathrooms: int | None = Field(None, ge=0, le=1000)
    area_m2: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    year_built: int | None = Field(None, ge=1000, le=2200)
    address: str = Field("", max_length=255, validation_alias=AliasChoices("address", "adress"))
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=100)
    zip_code: str = Field("", max_length=20)
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2.")
    latitude: Decimal | None = Field(None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, decimal_places=6)
    total_units: int = Field(1, ge=0, le=100000)
    is_published: bool = False
    company_id: UUID | None = Field(None, description="A company you belong to (admins: any).")
    agent_id: UUID | None = Field(None, description="The assigned agent (a user with the agent role).")
    features: list[str] | None = Field(None, max_length=100, description="Feature slugs.")

    upper_codes = field_validator("currency", "country")(_upper)
    crm_listing = body_alias(_crm_listing, accepts=_CRM_LISTING)

    @model_validator(mode="after")
    def _title_or_name(self) -> "ListingIn":
        if not (self.title or self.name):
            # The FastAPI CRM's address-led body has no title: the address (and city) is it.
            derived = ", ".join(part.strip() for part in (self.address, self.city) if part and part.strip())
            if not derived:
                raise FieldErrors({"title": ["title (or name, or an address) is required."]})
            self.title = derived[:200]
        return self


class ListingCreateIn(ListingIn):
    """A new listing (POST, imports): it starts as a draft or available."""

    status: Literal["draft", "available"] | None = Field(
        None,
        description="draft (default) or available (the CRM's active: available and published).",
        json_schema_extra=value_aliases({"active": ListingStatus.AVAILABLE}),
    )


class ListingPatchIn(Input):
    """Any subset of the listing fields (``null`` only where a field may be empty)."""

    title: str = Field(None, min_length=1, max_length=200)
    name: str = Field(None, min_length=1, max_length=200, description="Alias of title.")
    description: str = Field(None, max_length=20000)
    property_type: PropertyType = None
    listing_type: ListingType = None
    status: ListingStatus = Field(None, json_schema_extra=value_aliases({"active": ListingStatus.AVAILABLE}))
    price: Decimal = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: CurrencyCode = None
    bedrooms: int | None = Field(None, ge=0, le=1000)
    bathrooms: int | None = Field(None, ge=0, le=1000)
    area_m2: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    year_built: int | None = Field(None, ge=1000, le=2200)
    address: str = Field(None, max_length=255, validation_alias=AliasChoices("address", "adress"))
    city: str = Field(None, max_length=100)
    state: str = Field(None, max_length=100)
    zip_code: str = Field(None, max_length=20)
    country: str = Field(None, pattern=r"^([A-Za-z]{2})?$")
    latitude: Decimal | None = Field(None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, decimal_places=6)
    total_units: int = Field(None, ge=0, le=100000)
    is_published: bool = None
    company_id: UUID | None = None
    agent_id: UUID | None = None
    features: list[str] = Field(None, max_length=100)

    upper_codes = field_validator("currency", "country")(_upper)
    crm_listing = body_alias(_crm_listing, accepts=_CRM_LISTING)


def listing_fields(payload: Schema) -> dict[str, Any]:
    """The fields a client sent, with ``name`` folded into ``title``."""
    data = payload.model_dump(exclude_unset=True)
    name = data.pop("name", None)
    if data.get("title") is None:
        data.pop("title", None)
        if name is not None:
            data["title"] = name
    return data


class ListingCardOut(ReadOut):
    """What a search result card needs."""

    id: UUID
    title: str
    name: str
    price: MoneyStr
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
    def resolve_cover_thumbnail_url(obj: Any) -> str | None:
        # Annotated by the card selector (no query per card).
        return _storage_url(getattr(obj, "cover_thumbnail", None))

    @staticmethod
    def resolve_features(obj: Any) -> list[str]:
        # The prefetched features as such (building the related manager to read them
        # costs more than the rest of a card); without a prefetch, a query.
        prefetched = getattr(obj, "_prefetched_objects_cache", {}).get("features")
        return [feature.slug for feature in (obj.features.all() if prefetched is None else prefetched)]

    @staticmethod
    def resolve_distance_km(obj: Any) -> float | None:
        distance = getattr(obj, "distance_km", None)
        return None if distance is None else round(distance, 3)


class FavoriteListingOut(ListingCardOut):
    """A saved listing's card and when it was saved."""

    favorited_at: datetime


class FavoriteOut(Schema):
    listing_id: UUID
    favorited_at: datetime

    @staticmethod
    def resolve_favorited_at(obj: Any) -> datetime:
        return obj.created_at


class ListingOut(ListingCardOut):
    """A listing with all its details."""

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


class PriceChangeOut(Schema):
    id: int
    old_price: MoneyStr | None
    new_price: MoneyStr
    currency: str
    changed_by_id: UUID | None
    changed_at: datetime


# Units --------------------------------------------------------------------------------


class UnitIn(Input):
    unit_number: str = Field(..., min_length=1, max_length=50)
    floor: int | None = Field(None, ge=-20, le=500)
    unit_type: str = Field("", max_length=50)
    bedrooms: int | None = Field(None, ge=0, le=1000)
    bathrooms: int | None = Field(None, ge=0, le=1000)
    area_m2: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    status: UnitStatus = UnitStatus.AVAILABLE


class UnitPatchIn(Input):
    unit_number: str = Field(None, min_length=1, max_length=50)
    floor: int | None = Field(None, ge=-20, le=500)
    unit_type: str = Field(None, max_length=50)
    bedrooms: int | None = Field(None, ge=0, le=1000)
    bathrooms: int | None = Field(None, ge=0, le=1000)
    area_m2: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    status: UnitStatus = None


class UnitOut(Schema):
    id: UUID
    listing_id: UUID
    unit_number: str
    floor: int | None
    unit_type: str
    bedrooms: int | None
    bathrooms: int | None
    area_m2: Decimal | None
    price: MoneyStr | None
    currency: str = Field(..., alias="listing.currency", description="ISO 4217, the listing's.")
    status: str
    created_at: datetime
    updated_at: datetime


# Facets -------------------------------------------------------------------------------


class FacetCount(Schema):
    value: str | int | None
    count: int


class PriceBucket(Schema):
    min: Decimal
    max: Decimal | None
    count: int


class FacetsOut(Schema):
    count: int
    property_type: list[FacetCount]
    listing_type: list[FacetCount]
    city: list[FacetCount]
    bedrooms: list[FacetCount]
    price: list[PriceBucket]


# Features -----------------------------------------------------------------------------


class FeatureIn(Input):
    name: str = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    slug: str | None = Field(None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100)


class FeatureOut(Schema):
    id: UUID
    name: str
    slug: str


# Map ----------------------------------------------------------------------------------


class MapFilters(ListingFilters):
    """The search filters plus the map's zoom; ``bbox`` is required."""

    bbox: str = Field(
        ..., max_length=100, description="min_lng,min_lat,max_lng,max_lat", json_schema_extra=MAP_BBOX_SCHEMA
    )

    zoom: int = Field(..., ge=0, le=22, description="Web map zoom level; the grid cell is a quarter tile.")


class MapPointOut(Schema):
    id: UUID
    title: str
    price: MoneyStr
    currency: str
    property_type: str
    listing_type: str
    latitude: float
    longitude: float


class MapClusterOut(Schema):
    latitude: float
    longitude: float
    count: int
    min_price: MoneyStr
    max_price: MoneyStr


class MapOut(Schema):
    zoom: int
    cell_size_deg: float
    total: int
    clusters: list[MapClusterOut]
    points: list[MapPointOut]


# Visits -------------------------------------------------------------------------------


class VisitFilters(ListFilters):
    ordering: str | None = ordering_of("starts_at", "created_at", "status")
    status: VisitStatus | None = None
    listing: UUID | None = None
    agent: UUID | None = None
    starts_after: DateOrDateTime | None = Field(None, description="Starting at or after (a date: that day on).")
    starts_before: DateOrDateTime | None = Field(None, description="Starting before (a date: before that day).")


class VisitIn(Input):
    """A viewing request: 15 minutes to 4 hours, in the future."""

    listing_id: UUID
    starts_at: datetime
    ends_at: datetime
    note: str = Field("", max_length=2000)


_VISIT_STATUS = "A new status runs the confirm, cancel or complete operation (same rules and permissions)."


class VisitPutIn(Input):
    """The whole editable visit: its slot (a change is a reschedule) and its note; or,
    as the original property backend's clients send it, only a new ``status``."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str = Field("", max_length=2000)
    status: VisitStatus | None = Field(None, description=_VISIT_STATUS)

    @model_validator(mode="after")
    def _slot_or_status(self) -> "VisitPutIn":
        if self.status is None or {"starts_at", "ends_at"} & self.model_fields_set:
            missing = [name for name in ("starts_at", "ends_at") if getattr(self, name) is None]
            if missing:
                raise FieldErrors({name: ["This field is required."] for name in missing})
        return self


class VisitPatchIn(Input):
    starts_at: datetime = None
    ends_at: datetime = None
    note: str = Field(None, max_length=2000)
    status: VisitStatus = Field(None, description=_VISIT_STATUS)


class VisitRescheduleIn(Input):
    starts_at: datetime
    ends_at: datetime


class VisitCancelIn(Input):
    reason: str = Field("", max_length=2000)


class VisitOut(Schema):
    id: UUID
    listing_id: UUID
    listing_title: str
    customer_id: UUID
    agent_id: UUID
    starts_at: datetime
    ends_at: datetime
    note: str
    status: str
    allowed_next_statuses: list[str]
    cancel_reason: str
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_listing_title(obj: Any) -> str:
        return obj.listing.title

    @staticmethod
    def resolve_allowed_next_statuses(obj: Any) -> list[str]:
        return obj.allowed_next_statuses()


# Saved searches -----------------------------------------------------------------------


def _inlined(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inlined(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(value, definitions) for value in node]
    return node


@cache
def search_filters_schema() -> dict[str, Any]:
    """A saved search's ``filters``: the parameters of ``GET /properties/`` by name and
    type, nothing else (the search's rules between them, e.g. radius_km needs near, apply)."""
    schema = ListingFilters.model_json_schema()
    properties = _inlined(schema["properties"], schema.get("$defs", {}))
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": "Parameters of GET /properties/.",
    }


SearchFilters = Annotated[dict[str, Any], WithJsonSchema(search_filters_schema())]


class SavedSearchIn(Input):
    name: str = Field(..., min_length=1, max_length=100)
    filters: SearchFilters = Field(default_factory=dict)
    alert_frequency: AlertFrequency = AlertFrequency.DAILY


class SavedSearchPatchIn(Input):
    name: str = Field(None, min_length=1, max_length=100)
    filters: SearchFilters = None
    alert_frequency: AlertFrequency = None


class SavedSearchOut(Schema):
    id: UUID
    name: str
    filters: dict[str, Any]
    alert_frequency: str
    last_checked_at: datetime | None
    last_alerted_at: datetime | None
    created_at: datetime
    updated_at: datetime


# Media --------------------------------------------------------------------------------


class MediaUploadIn(Input):
    lax_scalars = True  # a multipart form: is_cover arrives as text ("true" or "false")
    kind: MediaKind = MediaKind.IMAGE
    title: str = Field("", max_length=200)
    is_cover: bool = False


class MediaPatchIn(Input):
    title: str = Field(None, max_length=200)
    position: int = Field(None, ge=0, le=100000)
    is_cover: bool = None


class MediaOut(Schema):
    id: UUID
    listing_id: UUID
    kind: str
    url: str
    thumbnail_url: str | None
    content_type: str
    size: int
    width: int | None
    height: int | None
    title: str
    position: int
    is_cover: bool
    created_at: datetime

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return obj.file.url

    @staticmethod
    def resolve_thumbnail_url(obj: Any) -> str | None:
        return _storage_url(obj.thumbnail)
