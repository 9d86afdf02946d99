"""CRM API: clients, leads with their score breakdown and activities, the public capture
forms (the back office's ``marketing/contact`` and ``marketing/schedule-call``) and the pipeline
stats (the statistics API's ``stats/lead-quality``, ``stats/lead-score``, ``stats/conversion-funnel``)."""

from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.accounts.auth import optional_auth
from domus.core.errors import ErrorOut
from domus.core.exceptions import ValidationFailed
from domus.core.ids import uuid7
from domus.core.policies import require
from domus.core.throttling import ScopedRateLimit
from domus.crm import policies, selectors, services
from domus.crm.models import LeadSource
from domus.crm.schemas import (
    CaptureOut,
    ClientFilters,
    ClientIn,
    ClientOut,
    ClientPatchIn,
    ContactIn,
    ConversionFunnelOut,
    LeadActivityIn,
    LeadActivityOut,
    LeadFilters,
    LeadIn,
    LeadOut,
    LeadPatchIn,
    LeadQualityOut,
    LeadScoreOut,
    ScheduleCallIn,
    StatsFilters,
)

router = Router(tags=["crm"])

WORKERS = {"x-permission": "company agents, staff or admin"}
CHANGERS = {"x-permission": "company staff, the assigned agent, or admin"}
STAFF_ONLY = {"x-permission": "company staff or admin"}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
STATS_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
RECEIVED = "Thank you, we will be in touch shortly."


# Clients ------------------------------------------------------------------------------


@router.get(
    "/clients/",
    response={200: list[ClientOut], 400: ErrorOut, 401: ErrorOut},
    summary="Clients: an agent's own, the company's for staff",
    openapi_extra=WORKERS,
)
@paginate
def client_list(request: HttpRequest, filters: Query[ClientFilters]):
    return selectors.client_list_for_actor(actor=request.auth, filters=filters)


@router.post("/clients/", response={201: ClientOut, **WRITE_ERRORS}, summary="Create a client", openapi_extra=WORKERS)
def client_create(request: HttpRequest, payload: ClientIn):
    require(policies.can_create_crm_records(request.auth), "Only agents and staff of a company keep clients.")
    data = payload.model_dump(exclude_unset=True)
    data["email"] = data.get("email") or ""
    return Status(201, services.client_create(actor=request.auth, **data))


@router.get(
    "/clients/{client_id}/", response={200: ClientOut, **READ_ERRORS}, summary="A client", openapi_extra=WORKERS
)
def client_detail(request: HttpRequest, client_id: UUID):
    return selectors.client_get_for_actor(actor=request.auth, client_id=client_id)


@router.patch(
    "/clients/{client_id}/",
    response={200: ClientOut, **WRITE_ERRORS},
    summary="Update a client's attributes, preferences or assigned agent",
    openapi_extra=CHANGERS,
)
def client_patch(request: HttpRequest, client_id: UUID, payload: ClientPatchIn):
    client = selectors.client_get_for_actor(actor=request.auth, client_id=client_id)
    require(policies.can_change_client(request.auth, client), "Only the company's staff or the client's agent.")
    data = payload.model_dump(exclude_unset=True)
    if "email" in data:
        data["email"] = data["email"] or ""
    return services.client_update(actor=request.auth, client=client, **data)


# Leads ----------------------------------------------------------------------------------


@router.get(
    "/leads/",
    response={200: list[LeadOut], 400: ErrorOut, 401: ErrorOut},
    summary="Leads: an agent's own, the company's for staff (ordering=-score for the hottest first)",
    openapi_extra=WORKERS,
)
@paginate
def lead_list(request: HttpRequest, filters: Query[LeadFilters]):
    return selectors.lead_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/leads/",
    response={201: LeadOut, 200: LeadOut, **WRITE_ERRORS},
    summary="Create a lead (201), or merge it into the lead with the same e-mail or phone (200)",
    openapi_extra=WORKERS,
)
def lead_create(request: HttpRequest, payload: LeadIn):
    roles = policies.worker_roles(request.auth)  # read once: the permission and the company check
    require(policies.can_create_crm_records(request.auth, roles), "Only agents and staff of a company keep leads.")
    data = payload.model_dump(exclude_unset=True)
    data["email"] = data.get("email") or ""
    lead, created = services.lead_enter(actor=request.auth, roles=roles, **data)
    return Status(201 if created else 200, lead)


@router.get(
    "/leads/{lead_id}/",
    response={200: LeadOut, **READ_ERRORS},
    summary="A lead and its score breakdown",
    openapi_extra=WORKERS,
)
def lead_detail(request: HttpRequest, lead_id: UUID):
    return selectors.lead_get_for_actor(actor=request.auth, lead_id=lead_id)


@router.patch(
    "/leads/{lead_id}/",
    response={200: LeadOut, **WRITE_ERRORS},
    summary="Update a lead: data, status (lost needs lost_reason), listing, client or agent",
    openapi_extra=CHANGERS,
)
def lead_patch(request: HttpRequest, lead_id: UUID, payload: LeadPatchIn):
    lead = selectors.lead_get_for_actor(actor=request.auth, lead_id=lead_id)
    require(policies.can_change_lead(request.auth, lead), "Only the company's staff or the lead's agent.")
    data = payload.model_dump(exclude_unset=True)
    if "email" in data:
        data["email"] = data["email"] or ""
    return services.lead_update(actor=request.auth, lead=lead, **data)


@router.get(
    "/leads/{lead_id}/activities/",
    response={200: list[LeadActivityOut], **READ_ERRORS},
    summary="A lead's activities, newest first",
    openapi_extra=WORKERS,
)
@paginate
def lead_activity_list(request: HttpRequest, lead_id: UUID):
    lead = selectors.lead_get_for_actor(actor=request.auth, lead_id=lead_id)
    return selectors.lead_activity_list(lead=lead)


@router.post(
    "/leads/{lead_id}/activities/",
    response={201: LeadActivityOut, **WRITE_ERRORS},
    summary="Record a call, e-mail, meeting, viewing or note (the score is recomputed)",
    openapi_extra=CHANGERS,
)
def lead_activity_create(request: HttpRequest, lead_id: UUID, payload: LeadActivityIn):
    lead = selectors.lead_get_for_actor(actor=request.auth, lead_id=lead_id)
    require(policies.can_change_lead(request.auth, lead), "Only the company's staff or the lead's agent.")
    return Status(201, services.lead_activity_create(actor=request.auth, lead=lead, **payload.dict()))


# Public capture -------------------------------------------------------------------------


def _capture(request: HttpRequest, payload: ContactIn | ScheduleCallIn, source: str, preferred_at=None):
    if payload.website:
        # A bot filled in the honeypot: it learns nothing, and nothing is stored.
        return Status(201, CaptureOut(detail=RECEIVED, reference=uuid7()))
    submission = services.lead_capture(
        actor=request.auth,
        source=source,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        message=payload.message,
        listing_id=payload.listing_id,
        company_id=payload.company_id,
        budget_min=payload.budget_min,
        budget_max=payload.budget_max,
        preferred_call_at=preferred_at,
    )
    return Status(201, CaptureOut(detail=RECEIVED, reference=submission.id))


@router.post(
    "/contact/",
    response={201: CaptureOut, 400: ErrorOut, 429: ErrorOut},
    auth=optional_auth,
    throttle=ScopedRateLimit("contact"),
    summary="Public contact form: creates or updates a lead and tells its agent",
)
def contact(request: HttpRequest, payload: ContactIn):
    return _capture(request, payload, LeadSource.LISTING_INQUIRY if payload.listing_id else LeadSource.CONTACT_FORM)


@router.post(
    "/schedule-call/",
    response={201: CaptureOut, 400: ErrorOut, 429: ErrorOut},
    auth=optional_auth,
    throttle=ScopedRateLimit("schedule_call"),
    summary="Public request for a call back at a time: creates or updates a lead",
)
def schedule_call(request: HttpRequest, payload: ScheduleCallIn):
    if payload.preferred_at <= timezone.now():
        raise ValidationFailed("The call must be in the future.", errors={"preferred_at": ["Must be in the future."]})
    return _capture(request, payload, LeadSource.SCHEDULE_CALL, payload.preferred_at)


# Pipeline stats ---------------------------------------------------------------------------


def _stats_allowed(request: HttpRequest) -> None:
    require(policies.can_view_pipeline_stats(request.auth), "Pipeline stats are for company staff.")


@router.get(
    "/stats/lead-quality/",
    response={200: LeadQualityOut, **STATS_ERRORS},
    summary="Leads by source: count, average score and conversion rate over a date range",
    openapi_extra=STAFF_ONLY,
)
def stats_lead_quality(request: HttpRequest, filters: Query[StatsFilters]):
    _stats_allowed(request)
    return selectors.lead_quality_stats(actor=request.auth, filters=filters)


@router.get(
    "/stats/lead-score/",
    response={200: LeadScoreOut, **STATS_ERRORS},
    summary="Leads by score bucket",
    openapi_extra=STAFF_ONLY,
)
def stats_lead_score(request: HttpRequest, filters: Query[StatsFilters]):
    _stats_allowed(request)
    return selectors.lead_score_stats(actor=request.auth, filters=filters)


@router.get(
    "/stats/conversion-funnel/",
    response={200: ConversionFunnelOut, **STATS_ERRORS},
    summary="Leads that reached each pipeline stage and the conversion between stages",
    openapi_extra=STAFF_ONLY,
)
def stats_conversion_funnel(request: HttpRequest, filters: Query[StatsFilters]):
    _stats_allowed(request)
    return selectors.conversion_funnel_stats(actor=request.auth, filters=filters)
