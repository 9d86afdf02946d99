"""Geocoding API of the listing portal: an address to coordinates and a maps URL
(the M-Pesa backend's ``POST /properties/geocode/``)."""

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import AliasChoices, field_validator

from domus.core.errors import ErrorOut
from domus.core.schemas import NOT_BLANK, Input
from domus.core.throttling import ScopedRateLimit
from domus.properties.geocoding import address_geocode

router = Router(tags=["properties"])


class GeocodeIn(Input):
    address: str = Field(
        ...,
        max_length=255,
        description="Street address.",
        validation_alias=AliasChoices("address", "adress"),
        json_schema_extra={"pattern": NOT_BLANK},
    )
    city: str = Field(..., max_length=100, json_schema_extra={"pattern": NOT_BLANK})
    country: str = Field("", max_length=100, description="ISO 3166-1 alpha-2 code (preferred) or a country name.")

    @field_validator("address", "city")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("This field may not be blank.")
        return value

    @field_validator("country")
    @classmethod
    def _normalised(cls, value: str) -> str:
        return " ".join(value.split())


class GeocodeOut(Schema):
    latitude: float
    longitude: float
    formatted_address: str
    maps_url: str


@router.post(
    "/geocode/",
    response={200: GeocodeOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    throttle=ScopedRateLimit("write"),
    summary="Geocode an address: latitude, longitude, formatted address and a maps URL",
    description=(
        "Google Geocoding API when GOOGLE_MAPS_API_KEY is set, else a Nominatim-compatible service; "
        "answers are cached. 404 when no place matches the address, 503 when the provider is unavailable."
    ),
)
def geocode(request: HttpRequest, payload: GeocodeIn):
    return address_geocode(address=payload.address, city=payload.city, country=payload.country)
