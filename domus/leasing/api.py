"""Leasing API: leases (draft, activate, terminate) and their rent schedules."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.accounts.selectors import active_user_for_field
from domus.core.errors import ErrorOut
from domus.core.policies import require
from domus.leasing import policies, selectors, services
from domus.leasing.schemas import LeaseFilters, LeaseIn, LeaseOut, LeasePatchIn, RentPeriodOut, TerminateIn

router = Router(tags=["leasing"])

PARTIES = {"x-permission": "the tenant, the owner, company members, or admin"}
STAFF_ONLY = {"x-permission": "company staff or admin"}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get(
    "/leases/", response={200: list[LeaseOut], 400: ErrorOut, 401: ErrorOut}, summary="Leases", openapi_extra=PARTIES
)
@paginate
def lease_list(request: HttpRequest, filters: Query[LeaseFilters]):
    return selectors.lease_list_for_actor(actor=request.auth, filters=filters)


@router.post("/leases/", response={201: LeaseOut, **WRITE_ERRORS}, summary="Draft a lease", openapi_extra=STAFF_ONLY)
def lease_create(request: HttpRequest, payload: LeaseIn):
    data = payload.dict(exclude_none=True)
    tenant = active_user_for_field(data.pop("tenant_id"), field="tenant_id")
    if "owner_id" in data:
        active_user_for_field(data["owner_id"], field="owner_id")
    lease = services.lease_create(actor=request.auth, listing_id=data.pop("listing_id"), tenant=tenant, **data)
    return Status(201, lease)


@router.get("/leases/{lease_id}/", response={200: LeaseOut, **READ_ERRORS}, summary="A lease", openapi_extra=PARTIES)
def lease_detail(request: HttpRequest, lease_id: UUID):
    return selectors.lease_get_for_actor(actor=request.auth, lease_id=lease_id)


@router.patch(
    "/leases/{lease_id}/",
    response={200: LeaseOut, **WRITE_ERRORS},
    summary="Edit a draft lease",
    openapi_extra=STAFF_ONLY,
)
def lease_patch(request: HttpRequest, lease_id: UUID, payload: LeasePatchIn):
    lease = selectors.lease_get_for_actor(actor=request.auth, lease_id=lease_id)
    require(policies.can_manage_lease(request.auth, lease))
    return services.lease_update(actor=request.auth, lease=lease, **payload.dict(exclude_unset=True))


@router.post(
    "/leases/{lease_id}/activate/",
    response={200: LeaseOut, **WRITE_ERRORS},
    summary="Activate a draft lease (creates the rent schedule, marks the unit or whole listing rented)",
    openapi_extra=STAFF_ONLY,
)
def lease_activate(request: HttpRequest, lease_id: UUID):
    lease = selectors.lease_get_for_actor(actor=request.auth, lease_id=lease_id)
    require(policies.can_manage_lease(request.auth, lease))
    return services.lease_activate(actor=request.auth, lease=lease)


@router.post(
    "/leases/{lease_id}/terminate/",
    response={200: LeaseOut, **WRITE_ERRORS},
    summary="Terminate a lease on a date between its start and end, with a reason",
    openapi_extra=STAFF_ONLY,
)
def lease_terminate(request: HttpRequest, lease_id: UUID, payload: TerminateIn):
    lease = selectors.lease_get_for_actor(actor=request.auth, lease_id=lease_id)
    require(policies.can_manage_lease(request.auth, lease))
    return services.lease_terminate(actor=request.auth, lease=lease, reason=payload.reason, on=payload.on)


@router.get(
    "/leases/{lease_id}/schedule/",
    response={200: list[RentPeriodOut], **READ_ERRORS},
    summary="The lease's rent periods and due dates",
    openapi_extra=PARTIES,
)
@paginate
def lease_schedule(request: HttpRequest, lease_id: UUID):
    lease = selectors.lease_get_for_actor(actor=request.auth, lease_id=lease_id)
    return selectors.rent_periods_of(lease=lease)
