"""Listings API: search (filters, text, geo), facets, listing CRUD with status
transitions and price history, units, and the feature taxonomy; and ``router``, which
mounts them with the visits, favorites, saved searches and media routers. Reads are
scoped by the selectors; writes check the policies."""

from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.accounts.auth import optional_auth
from domus.core.errors import ErrorOut
from domus.core.exceptions import ValidationFailed
from domus.core.policies import require
from domus.properties import policies, selectors, services
from domus.properties.api import favorites, media, saved_searches, visits
from domus.properties.pagination import ListingSearchPagination
from domus.properties.schemas import (
    FacetsOut,
    FeatureFilters,
    FeatureIn,
    FeatureOut,
    ListingCardOut,
    ListingCreateIn,
    ListingFilters,
    ListingIn,
    ListingOut,
    ListingPatchIn,
    MapFilters,
    MapOut,
    PriceChangeOut,
    UnitIn,
    UnitOut,
    UnitPatchIn,
    listing_fields,
)

listings = Router(tags=["properties"])

MANAGERS = {"x-permission": "listing owner, assigned agent, company staff or admin"}
PUBLIC = {"x-permission": "public (drafts: owner, agent, company staff or admin)"}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# Search ------------------------------------------------------------------------------------


def _result_depth(request: HttpRequest) -> int:
    """How far into the results a request reads (the paginator has validated the numbers)."""
    query = request.GET
    size = int(query.get("limit") or query.get("page_size") or settings.NINJA_PAGINATION_PER_PAGE)
    start = query.get("offset") or query.get("skip")  # as the paginator: a start wins over page
    return (int(start) if start else (int(query.get("page") or 1) - 1) * size) + size


@listings.get(
    "/",
    response={200: list[ListingCardOut], 400: ErrorOut, 401: ErrorOut},
    auth=optional_auth,
    summary="Search listings: filters, text, bbox or near + radius (distance_km), ordering",
    description=(
        "`ordering`: price, created_at, area, bedrooms (`-` for descending), distance_km with near, or "
        f"`relevance` with search: the newest {selectors.RELEVANCE_WINDOW:,} matches ranked by text relevance "
        "(title, then address and city, then description; PostgreSQL; newest first on SQLite). "
        f"Reads at most the first {selectors.MAX_RESULT_DEPTH:,} results of a search "
        f"(page * page_size, or offset + limit; {selectors.RELEVANCE_WINDOW:,} by relevance); "
        "deeper pages answer 400: narrow the search with filters instead (OFFSET paging slows down with depth). "
        f"`count` is exact up to {selectors.MAX_RESULT_DEPTH:,}; above that (PostgreSQL) it is the database planner's "
        f"estimate, never below {selectors.MAX_RESULT_DEPTH + 1:,}, and `total_pages` follows it: "
        "counting a huge result set exactly would scan all of it."
    ),
    openapi_extra=PUBLIC,
)
@paginate(ListingSearchPagination)
def listing_list(request: HttpRequest, filters: Query[ListingFilters]):
    deepest = selectors.result_depth_limit(filters)
    if _result_depth(request) > deepest:
        raise ValidationFailed(
            f"Only the first {deepest:,} results can be paged through; add filters to narrow the search.",
            errors={"page": [f"page * page_size (or offset + limit) must not exceed {deepest:,}."]},
        )
    return selectors.listing_search_for_actor(actor=request.auth, filters=filters)


@listings.get(
    "/facets/",
    response={200: FacetsOut, 400: ErrorOut, 401: ErrorOut},
    auth=optional_auth,
    summary="Counts per property type, listing type, city, bedrooms and price bucket for the filters",
    description=(
        "Exact counts as of when they were computed. Answers are cached per set of filters for up to "
        "LISTING_CACHE_SECONDS (default 60 s); after a listing write the previous answer is served until one "
        "background recomputation has finished (seconds), then the new one. Callers who see unpublished listings "
        "(owners, agents, company staff) get an answer computed for them, uncached."
    ),
    openapi_extra=PUBLIC,
)
def listing_facets(request: HttpRequest, filters: Query[ListingFilters]):
    selectors.check_ordering(filters)  # the search's filters: its ordering is refused as there
    return selectors.listing_facets_for_actor(actor=request.auth, filters=filters)


@listings.get(
    "/map/",
    response={200: MapOut, 400: ErrorOut, 401: ErrorOut},
    auth=optional_auth,
    summary="Map clusters (count, centroid, price range) on a zoom-sized grid in bbox; points when few",
    description=(
        "bbox is widened outward to whole grid cells (cell_size_deg), so edge cells are counted whole and a map "
        "that pans slightly shares one cached answer (cached like the facets)."
    ),
    openapi_extra=PUBLIC,
)
def listing_map(request: HttpRequest, filters: Query[MapFilters]):
    selectors.check_ordering(filters)
    return selectors.listing_map_for_actor(actor=request.auth, filters=filters)


# Features ----------------------------------------------------------------------------------


@listings.get("/features/", response={200: list[FeatureOut], 400: ErrorOut}, auth=None, summary="Feature taxonomy")
@paginate
def feature_list(request: HttpRequest, filters: Query[FeatureFilters]):
    return selectors.feature_list(filters=filters)


@listings.post(
    "/features/",
    response={201: FeatureOut, **WRITE_ERRORS},
    summary="Add a feature (its slug never changes)",
    openapi_extra={"x-permission": "admin"},
)
def feature_create(request: HttpRequest, payload: FeatureIn):
    require(policies.can_manage_features(request.auth), "Only platform admins manage the feature taxonomy.")
    return Status(201, services.feature_create(actor=request.auth, **payload.model_dump(exclude_unset=True)))


# Listings ----------------------------------------------------------------------------------


@listings.post(
    "/",
    response={201: ListingOut, **WRITE_ERRORS},
    summary="Create a listing (the management system's body with name works as written)",
    openapi_extra={"x-permission": "owner, agent, company staff or admin"},
)
def listing_create(request: HttpRequest, payload: ListingCreateIn):
    require(policies.can_create_listing(request.auth), "Customers and tenants cannot create listings.")
    listing = services.listing_create(actor=request.auth, **listing_fields(payload))
    return Status(201, selectors.listing_get_for_actor(actor=request.auth, listing_id=listing.pk))


@listings.get(
    "/{listing_id}/",
    response={200: ListingOut, **READ_ERRORS},
    auth=optional_auth,
    summary="A listing",
    openapi_extra=PUBLIC,
)
def listing_detail(request: HttpRequest, listing_id: UUID):
    return selectors.listing_get_for_actor(actor=request.auth, listing_id=listing_id)


def _managed_listing(request: HttpRequest, listing_id: UUID):
    listing = selectors.listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    require(
        policies.can_manage_listing(request.auth, listing),
        "Only the listing's owner, agent, company staff or an admin can change it.",
    )
    return listing


def _listing_update(request: HttpRequest, listing_id: UUID, data: dict):
    listing = _managed_listing(request, listing_id)
    if "company_id" in data and data["company_id"] != listing.company_id:
        require(
            policies.can_change_listing_company(request.auth, listing),
            "Only the listing's owner, its company's staff or an admin can change its company.",
        )
    services.listing_update(actor=request.auth, listing=listing, **data)
    return selectors.listing_get_for_actor(actor=request.auth, listing_id=listing_id)


@listings.put(
    "/{listing_id}/",
    response={200: ListingOut, **WRITE_ERRORS},
    summary="Update a listing (status moves only along allowed transitions)",
    openapi_extra=MANAGERS,
)
def listing_put(request: HttpRequest, listing_id: UUID, payload: ListingIn):
    return _listing_update(request, listing_id, listing_fields(payload))


@listings.patch(
    "/{listing_id}/",
    response={200: ListingOut, **WRITE_ERRORS},
    summary="Update some of a listing's fields (status moves only along allowed transitions)",
    openapi_extra=MANAGERS,
)
def listing_patch(request: HttpRequest, listing_id: UUID, payload: ListingPatchIn):
    return _listing_update(request, listing_id, listing_fields(payload))


@listings.delete(
    "/{listing_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Soft-delete a listing",
    openapi_extra=MANAGERS,
)
def listing_delete(request: HttpRequest, listing_id: UUID):
    services.listing_delete(actor=request.auth, listing=_managed_listing(request, listing_id))
    return Status(204, None)


@listings.get(
    "/{listing_id}/price-history/",
    response={200: list[PriceChangeOut], **READ_ERRORS},
    auth=optional_auth,
    summary="Every price the listing has had, newest first",
    openapi_extra=PUBLIC,
)
@paginate
def listing_price_history(request: HttpRequest, listing_id: UUID):
    listing = selectors.listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    return selectors.price_history_for_listing(listing=listing)


# Units -------------------------------------------------------------------------------------


@listings.get(
    "/{listing_id}/units/",
    response={200: list[UnitOut], **READ_ERRORS},
    auth=optional_auth,
    summary="Units of a listing",
    openapi_extra=PUBLIC,
)
@paginate
def unit_list(request: HttpRequest, listing_id: UUID):
    listing = selectors.listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    return selectors.unit_list_for_listing(listing=listing)


@listings.post(
    "/{listing_id}/units/",
    response={201: UnitOut, **WRITE_ERRORS},
    summary="Add a unit to a listing",
    openapi_extra=MANAGERS,
)
def unit_create(request: HttpRequest, listing_id: UUID, payload: UnitIn):
    listing = _managed_listing(request, listing_id)
    return Status(201, services.unit_create(actor=request.auth, listing=listing, **payload.model_dump()))


@listings.get(
    "/{listing_id}/units/{unit_id}/",
    response={200: UnitOut, **READ_ERRORS},
    auth=optional_auth,
    summary="A unit of a listing",
    openapi_extra=PUBLIC,
)
def unit_detail(request: HttpRequest, listing_id: UUID, unit_id: UUID):
    listing = selectors.listing_get_for_actor(actor=request.auth, listing_id=listing_id)
    return selectors.unit_get_for_listing(listing=listing, unit_id=unit_id)


@listings.patch(
    "/{listing_id}/units/{unit_id}/",
    response={200: UnitOut, **WRITE_ERRORS},
    summary="Update some of a unit's fields",
    openapi_extra=MANAGERS,
)
def unit_patch(request: HttpRequest, listing_id: UUID, unit_id: UUID, payload: UnitPatchIn):
    listing = _managed_listing(request, listing_id)
    unit = selectors.unit_get_for_listing(listing=listing, unit_id=unit_id)
    return services.unit_update(actor=request.auth, unit=unit, **payload.model_dump(exclude_unset=True))


@listings.delete(
    "/{listing_id}/units/{unit_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a unit",
    openapi_extra=MANAGERS,
)
def unit_delete(request: HttpRequest, listing_id: UUID, unit_id: UUID):
    listing = _managed_listing(request, listing_id)
    services.unit_delete(actor=request.auth, unit=selectors.unit_get_for_listing(listing=listing, unit_id=unit_id))
    return Status(204, None)


# Mounting ----------------------------------------------------------------------------------

# Fixed paths (visits/, favorites/, saved-searches/) come before the listing routes, whose
# ``{listing_id}`` matches any path segment.
router = Router()
router.add_router("/visits/", visits.router)
router.add_router("/saved-searches/", saved_searches.router)
router.add_router("/", favorites.router)
router.add_router("/", listings)
router.add_router("/", media.router)
