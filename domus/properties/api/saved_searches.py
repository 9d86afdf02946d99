"""Saved searches API: a user's named listing searches with alert frequencies. Each
one is its owner's only (404 for anyone else)."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.properties.schemas import SavedSearchFilters, SavedSearchIn, SavedSearchOut, SavedSearchPatchIn
from domus.properties.selectors.saved_searches import saved_search_get_for_actor, saved_search_list_for_actor
from domus.properties.services import saved_searches as services

router = Router(tags=["saved searches"])

OWNER = {"x-permission": "owner"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}


@router.get(
    "/",
    response={200: list[SavedSearchOut], 400: ErrorOut, 401: ErrorOut},
    summary="My saved searches",
    openapi_extra=OWNER,
)
@paginate
def saved_search_list(request: HttpRequest, filters: Query[SavedSearchFilters]):
    return saved_search_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/",
    response={201: SavedSearchOut, **ERRORS},
    summary="Save a search (filters of GET /properties/) with an alert frequency",
)
def saved_search_create(request: HttpRequest, payload: SavedSearchIn):
    return Status(201, services.saved_search_create(actor=request.auth, **payload.model_dump()))


@router.get(
    "/{saved_search_id}/", response={200: SavedSearchOut, **ERRORS}, summary="A saved search", openapi_extra=OWNER
)
def saved_search_detail(request: HttpRequest, saved_search_id: UUID):
    return saved_search_get_for_actor(actor=request.auth, saved_search_id=saved_search_id)


@router.put("/{saved_search_id}/", response={200: SavedSearchOut, **ERRORS}, summary="Replace", openapi_extra=OWNER)
def saved_search_put(request: HttpRequest, saved_search_id: UUID, payload: SavedSearchIn):
    search = saved_search_get_for_actor(actor=request.auth, saved_search_id=saved_search_id)
    return services.saved_search_update(actor=request.auth, saved_search=search, **payload.model_dump())


@router.patch("/{saved_search_id}/", response={200: SavedSearchOut, **ERRORS}, summary="Change", openapi_extra=OWNER)
def saved_search_patch(request: HttpRequest, saved_search_id: UUID, payload: SavedSearchPatchIn):
    search = saved_search_get_for_actor(actor=request.auth, saved_search_id=saved_search_id)
    fields = payload.model_dump(exclude_unset=True)
    return services.saved_search_update(actor=request.auth, saved_search=search, **fields)


@router.delete("/{saved_search_id}/", response={204: None, **ERRORS}, summary="Remove", openapi_extra=OWNER)
def saved_search_delete(request: HttpRequest, saved_search_id: UUID):
    search = saved_search_get_for_actor(actor=request.auth, saved_search_id=saved_search_id)
    services.saved_search_delete(actor=request.auth, saved_search=search)
    return Status(204, None)
