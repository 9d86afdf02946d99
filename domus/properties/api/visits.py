"""Visits API (the M-Pesa backend's ``/properties/visits/``): customers request viewings; the
listing's agent (or the company's staff) confirms, reschedules, cancels or completes
them. Reads are scoped by the selectors; 404 for visits the caller may not see."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.core.policies import require
from domus.properties import policies
from domus.properties.models import VisitStatus
from domus.properties.schemas import (
    VisitCancelIn,
    VisitFilters,
    VisitIn,
    VisitOut,
    VisitPatchIn,
    VisitPutIn,
    VisitRescheduleIn,
)
from domus.properties.selectors.visits import visit_get_for_actor, visit_list_for_actor
from domus.properties.services import visits as services

router = Router(tags=["visits"])

READERS = {"x-permission": "the visit's customer or agent, the listing company's staff, or admin"}
HANDLERS = {"x-permission": "the visit's agent, the listing company's staff, or admin"}
CHANGERS = READERS
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _visit(request: HttpRequest, visit_id: UUID, allowed, detail: str):
    visit = visit_get_for_actor(actor=request.auth, visit_id=visit_id)
    require(allowed(request.auth, visit), detail)
    return visit


def _handled(request: HttpRequest, visit_id: UUID):
    return _visit(request, visit_id, policies.can_handle_visit, "Only the agent or the company's staff can do this.")


def _changed(request: HttpRequest, visit_id: UUID):
    return _visit(request, visit_id, policies.can_change_visit, "Only the customer, the agent or staff can do this.")


@router.get(
    "/", response={200: list[VisitOut], 400: ErrorOut, 401: ErrorOut}, summary="Visits I may see", openapi_extra=READERS
)
@paginate
def visit_list(request: HttpRequest, filters: Query[VisitFilters]):
    return visit_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/",
    response={201: VisitOut, **ERRORS},
    summary="Request a viewing slot (15 min to 4 h, in the future) of a published listing",
)
def visit_create(request: HttpRequest, payload: VisitIn):
    visit = services.visit_create(actor=request.auth, **payload.model_dump())
    return Status(201, visit_get_for_actor(actor=request.auth, visit_id=visit.pk))


@router.get("/{visit_id}/", response={200: VisitOut, **ERRORS}, summary="A visit", openapi_extra=READERS)
def visit_detail(request: HttpRequest, visit_id: UUID):
    return visit_get_for_actor(actor=request.auth, visit_id=visit_id)


def _for_status(request: HttpRequest, visit_id: UUID, status: str | None):
    """The visit, when the caller may make this status change (confirming and completing
    are the handlers'; cancelling and editing the customer's too)."""
    if status in (VisitStatus.CONFIRMED, VisitStatus.COMPLETED):
        return _handled(request, visit_id)
    return _changed(request, visit_id)


@router.put(
    "/{visit_id}/",
    response={200: VisitOut, **ERRORS},
    summary="Replace slot and note, or change the status",
    openapi_extra=CHANGERS,
)
def visit_put(request: HttpRequest, visit_id: UUID, payload: VisitPutIn):
    visit = _for_status(request, visit_id, payload.status)
    # A status-only PUT (no slot) changes only what it sends.
    data = payload.model_dump(exclude_unset=payload.starts_at is None)
    return services.visit_change(actor=request.auth, visit=visit, **data)


@router.patch(
    "/{visit_id}/",
    response={200: VisitOut, **ERRORS},
    summary="Change slot, note and/or status",
    openapi_extra=CHANGERS,
)
def visit_patch(request: HttpRequest, visit_id: UUID, payload: VisitPatchIn):
    visit = _for_status(request, visit_id, payload.status)
    return services.visit_change(actor=request.auth, visit=visit, **payload.model_dump(exclude_unset=True))


@router.delete(
    "/{visit_id}/",
    response={204: None, **ERRORS},
    summary="Remove a visit",
    openapi_extra={"x-permission": "the visit's customer or admin"},
)
def visit_delete(request: HttpRequest, visit_id: UUID):
    visit = _visit(request, visit_id, policies.can_delete_visit, "Only the customer or an admin can remove a visit.")
    services.visit_delete(actor=request.auth, visit=visit)
    return Status(204, None)


@router.post("/{visit_id}/confirm/", response={200: VisitOut, **ERRORS}, summary="Confirm", openapi_extra=HANDLERS)
def visit_confirm(request: HttpRequest, visit_id: UUID):
    return services.visit_confirm(actor=request.auth, visit=_handled(request, visit_id))


@router.post(
    "/{visit_id}/reschedule/", response={200: VisitOut, **ERRORS}, summary="Move to a new slot", openapi_extra=CHANGERS
)
def visit_reschedule(request: HttpRequest, visit_id: UUID, payload: VisitRescheduleIn):
    visit = _changed(request, visit_id)
    return services.visit_reschedule(actor=request.auth, visit=visit, **payload.model_dump())


@router.post("/{visit_id}/cancel/", response={200: VisitOut, **ERRORS}, summary="Cancel", openapi_extra=CHANGERS)
def visit_cancel(request: HttpRequest, visit_id: UUID, payload: VisitCancelIn):
    return services.visit_cancel(actor=request.auth, visit=_changed(request, visit_id), reason=payload.reason)


@router.post(
    "/{visit_id}/complete/", response={200: VisitOut, **ERRORS}, summary="Mark as done", openapi_extra=HANDLERS
)
def visit_complete(request: HttpRequest, visit_id: UUID):
    return services.visit_complete(actor=request.auth, visit=_handled(request, visit_id))
