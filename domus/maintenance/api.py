"""Maintenance API: issue presets, "other" issues and booking questions (declared once
each through ``domus.core.crud``), answers, the public booking form and its captcha, the
booking workflow, assignment to technicians and vendors, and the vendor directory."""

import base64
import binascii
from functools import partial
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.files.base import ContentFile
from django.http import FileResponse, HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from domus.accounts.auth import optional_auth
from domus.accounts.selectors import active_user_for_field
from domus.core.crud import Access, Crud, register_crud
from domus.core.errors import ErrorOut
from domus.core.exceptions import ValidationFailed
from domus.core.middleware import client_ip
from domus.core.openapi import download
from domus.core.policies import is_admin, require
from domus.core.throttling import ScopedRateLimit
from domus.integrations.captcha import captcha_challenge, captcha_verify
from domus.maintenance import models as m
from domus.maintenance import schemas as s
from domus.maintenance import selectors, services

router = Router(tags=["maintenance"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
SCOPED = {"x-permission": "scoped"}


def _simple(path: str, noun: str, model: type, out: type, create_in: type, patch_in: type, filters: type) -> Crud:
    return Crud(
        path=path,
        tag="maintenance",
        noun=noun,
        out=out,
        create_in=create_in,
        replace_in=create_in,
        patch_in=patch_in,
        filters=filters,
        key="id",
        key_type=UUID,
        read=Access.AUTHENTICATED,
        operation_prefix="maintenance_",
        list=lambda *, actor, filters: selectors.simple_list(model=model, filters=filters),
        get=lambda *, actor, key: selectors.simple_get(model=model, key=key),
        create=partial(services.simple_create, model=model),
        update=services.simple_update,
        delete=services.simple_delete,
    )


for spec in (
    _simple("issues", "issue", m.IssuePreset, s.PresetOut, s.PresetIn, s.PresetPatchIn, s.PresetFilters),
    _simple(
        "otherissues",
        "other issue",
        m.OtherIssue,
        s.OtherIssueOut,
        s.OtherIssueIn,
        s.OtherIssuePatchIn,
        s.ActiveFilters,
    ),
    _simple("questions", "question", m.Question, s.QuestionOut, s.QuestionIn, s.QuestionPatchIn, s.QuestionFilters),
):
    register_crud(router, spec)


# Responses --------------------------------------------------------------------------------


@router.get(
    "/responses/",
    response={200: list[s.ResponseOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="List answers to booking questions",
    openapi_extra={"x-permission": "admin"},
)
@paginate
def response_list(request: HttpRequest, filters: Query[s.ResponseFilters]):
    require(is_admin(request.auth), "Only platform admins read answers.")
    return selectors.response_list(filters=filters)


@router.post(
    "/responses/",
    response={201: s.ResponseOut, **WRITE_ERRORS},
    auth=optional_auth,
    summary="Answer a question of a booking still being requested",
    throttle=ScopedRateLimit("booking"),
    openapi_extra={"x-permission": "public"},
)
def response_create(request: HttpRequest, payload: s.ResponseIn):
    row = services.response_create(
        actor=request.auth, work_order_id=payload.booking, question_id=payload.question, value=payload.answer
    )
    return Status(201, row)


@router.get(
    "/responses/{id}/",
    response={200: s.ResponseOut, **READ_ERRORS},
    summary="An answer to a booking question",
    openapi_extra={"x-permission": "admin"},
)
def response_detail(request: HttpRequest, id: UUID):
    require(is_admin(request.auth), "Only platform admins read answers.")
    return selectors.simple_get(model=m.Response, key=id)


# Bookings ---------------------------------------------------------------------------------


@router.get(
    "/captcha/",
    response={200: s.CaptchaOut},
    auth=None,
    summary="A captcha challenge for the public booking form (embedded captcha)",
    openapi_extra={"x-permission": "public"},
)
def captcha(request: HttpRequest):
    return captcha_challenge()


@router.post(
    "/bookings/",
    response={201: s.BookingOut, **WRITE_ERRORS, 429: ErrorOut, 503: ErrorOut},
    auth=optional_auth,
    summary="Book a repair (public with a captcha; a signed-in tenant's booking is linked to their lease)",
    throttle=ScopedRateLimit("booking"),
    openapi_extra={"x-permission": "public"},
)
def booking_create(request: HttpRequest, payload: s.BookingIn):
    if not getattr(request.auth, "is_authenticated", False):
        captcha_verify(payload.captcha_token, client_ip(request))
    data = payload.dict(exclude={"captcha_token", "answers"})
    data["issue_id"], data["other_issue_id"] = data.pop("issue"), data.pop("other_issue")
    data["preferred_date"], data["preferred_time"] = data.pop("date"), data.pop("time")
    answers = [_answer_of(i, a) for i, a in enumerate(payload.answers)]
    return Status(201, services.booking_create(actor=request.auth, data=data, answers=answers))


def _answer_of(index: int, answer: s.AnswerIn) -> dict:
    """An answer for the service: a photo's base64 decoded into a file (checked there)."""
    if answer.photo is None:
        return {"question_id": answer.question_id, "value": answer.value}
    try:
        content = base64.b64decode(answer.photo, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            "The photo is not base64.", errors={f"answers.{index}.photo": ["A base64-encoded image."]}
        ) from None
    return {"question_id": answer.question_id, "photo": ContentFile(content, name="photo")}


@router.get(
    "/bookings/",
    response={200: list[s.BookingOut], 400: ErrorOut, 401: ErrorOut},
    summary="List the bookings the caller may see (overdue=true: past their resolution deadline)",
    openapi_extra=SCOPED,
)
@paginate
def booking_list(request: HttpRequest, filters: Query[s.BookingFilters]):
    return selectors.work_order_list_for_actor(actor=request.auth, filters=filters)


def _detail(request: HttpRequest, work_order_id: UUID):
    row = selectors.work_order_get_for_actor(actor=request.auth, work_order_id=work_order_id)
    out = s.BookingOut.model_validate(row, from_attributes=True).model_dump()
    out["transitions"] = selectors.transitions_of(row)
    return out


@router.get(
    "/bookings/{id}/",
    response={200: s.BookingDetailOut, **READ_ERRORS},
    summary="A booking with its status history",
    openapi_extra=SCOPED,
)
def booking_detail(request: HttpRequest, id: UUID):
    return _detail(request, id)


def _update(request: HttpRequest, id: UUID, payload: s.BookingUpdateIn, *, partial: bool):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    services.booking_update(actor=request.auth, work_order_id=id, data=payload.dict(exclude_unset=partial))
    return _detail(request, id)


@router.put(
    "/bookings/{id}/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="Update a booking's status and notes (status moves go through the workflow)",
    openapi_extra={"x-permission": "staff"},
)
def booking_replace(request: HttpRequest, id: UUID, payload: s.BookingUpdateIn):
    return _update(request, id, payload, partial=True)


@router.patch(
    "/bookings/{id}/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="Edit a booking's status, notes, priority or branch (status moves go through the workflow)",
    openapi_extra={"x-permission": "staff"},
)
def booking_update(request: HttpRequest, id: UUID, payload: s.BookingUpdateIn):
    return _update(request, id, payload, partial=True)


@router.post(
    "/bookings/{id}/move/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="Move a booking to another status (409 lists the allowed moves)",
    openapi_extra={"x-permission": "staff"},
)
def booking_move(request: HttpRequest, id: UUID, payload: s.MoveIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    services.booking_move(actor=request.auth, work_order_id=id, to=payload.status, reason=payload.reason)
    return _detail(request, id)


@router.post(
    "/bookings/{id}/technician/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="Book a technician for a visit (409 when they are already booked then, or outside the tenant's slots)",
    openapi_extra={"x-permission": "staff"},
)
def booking_technician(request: HttpRequest, id: UUID, payload: s.TechnicianIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    technician = active_user_for_field(payload.technician_id, field="technician_id")
    services.assign_technician(
        actor=request.auth,
        work_order_id=id,
        technician=technician,
        start=payload.start,
        end=payload.end,
        override_slots=payload.override_slots,
    )
    return _detail(request, id)


@router.post(
    "/bookings/{id}/vendor/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="Offer a booking to a vendor of the company (409 when the visit is outside the tenant's slots)",
    openapi_extra={"x-permission": "staff"},
)
def booking_vendor(request: HttpRequest, id: UUID, payload: s.VendorAssignIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    services.assign_vendor(
        actor=request.auth,
        work_order_id=id,
        vendor_id=payload.vendor_id,
        start=payload.start,
        end=payload.end,
        override_slots=payload.override_slots,
    )
    return _detail(request, id)


@router.post(
    "/bookings/{id}/vendor-answer/",
    response={200: s.BookingOut, **WRITE_ERRORS},
    summary="The assigned vendor accepts (with the visit's time) or declines the job",
    openapi_extra={"x-permission": "vendor"},
)
def booking_vendor_answer(request: HttpRequest, id: UUID, payload: s.VendorAnswerIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    return services.vendor_respond(
        actor=request.auth,
        work_order_id=id,
        accept=payload.accept,
        reason=payload.reason,
        start=payload.start,
        end=payload.end,
    )


@router.put(
    "/bookings/{id}/access/",
    response={200: s.BookingOut, **WRITE_ERRORS},
    summary="The requesting tenant sets permission to enter and their preferred slots for the visit",
    openapi_extra={"x-permission": "requester"},
)
def booking_access(request: HttpRequest, id: UUID, payload: s.AccessIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    slots = None if payload.preferred_slots is None else [slot.dict() for slot in payload.preferred_slots]
    return services.booking_access_update(
        actor=request.auth,
        work_order_id=id,
        permission_to_enter=payload.permission_to_enter,
        preferred_slots=slots,
    )


@router.post(
    "/bookings/{id}/rating/",
    response={200: s.BookingOut, **WRITE_ERRORS},
    summary="The requester rates a closed booking (1-5)",
    openapi_extra={"x-permission": "requester"},
)
def booking_rating(request: HttpRequest, id: UUID, payload: s.RatingIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    return services.booking_rate(actor=request.auth, work_order_id=id, rating=payload.rating, comment=payload.comment)


# Parts ------------------------------------------------------------------------------------


@router.get(
    "/bookings/{id}/parts/",
    response={200: list[s.PartOut], **READ_ERRORS},
    summary="The parts a booking needs, reserved and issued",
    openapi_extra=SCOPED,
)
def booking_parts(request: HttpRequest, id: UUID):
    return selectors.parts_of(selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id))


@router.post(
    "/bookings/{id}/parts/",
    response={201: s.PartOut, **WRITE_ERRORS},
    summary="Add a part the job needs (reserved from the branch's stock once scheduled)",
    openapi_extra={"x-permission": "staff"},
)
def booking_part_add(request: HttpRequest, id: UUID, payload: s.PartIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    line = services.part_add(actor=request.auth, work_order_id=id, part_id=payload.part_id, quantity=payload.quantity)
    return Status(201, line)


@router.post(
    "/bookings/{id}/parts/{line_id}/issue/",
    response={200: s.PartOut, **WRITE_ERRORS},
    summary="Issue reserved parts used on the job (a stock issue entry)",
    openapi_extra={"x-permission": "staff"},
)
def booking_part_issue(request: HttpRequest, id: UUID, line_id: UUID, payload: s.PartIssueIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    return services.part_issue(
        actor=request.auth,
        work_order_id=id,
        line_id=line_id,
        quantity=payload.quantity,
        serial_numbers=payload.serial_numbers,
    )


# Serials fitted at units and listings ---------------------------------------------------------


@router.get(
    "/units/{unit_id}/serials/",
    response={200: list[s.FittingOut], 400: ErrorOut, 401: ErrorOut},
    summary="The serials fitted at a unit by repairs, newest first (those since removed included)",
    openapi_extra=SCOPED,
)
@paginate
def unit_serials(request: HttpRequest, unit_id: UUID):
    return selectors.fittings_for_actor(actor=request.auth).filter(unit_id=unit_id)


@router.get(
    "/listings/{listing_id}/serials/",
    response={200: list[s.FittingOut], 400: ErrorOut, 401: ErrorOut},
    summary="The serials fitted at a listing's units by repairs, newest first",
    openapi_extra=SCOPED,
)
@paginate
def listing_serials(request: HttpRequest, listing_id: UUID):
    return selectors.fittings_for_actor(actor=request.auth).filter(listing_id=listing_id)


@router.get(
    "/serials/{serial_id}/fitting/",
    response={200: s.FittingOut, **READ_ERRORS},
    summary="Where a serial is fitted now (its unit and listing, and the job that fitted it)",
    openapi_extra=SCOPED,
)
def serial_fitting(request: HttpRequest, serial_id: UUID):
    return selectors.fitting_current_for_actor(actor=request.auth, serial_id=serial_id)


# Vendors ----------------------------------------------------------------------------------


@router.get(
    "/vendors/",
    response={200: list[s.VendorOut], 400: ErrorOut, 401: ErrorOut},
    summary="The vendor directory of the caller's companies",
    openapi_extra=SCOPED,
)
@paginate
def vendor_list(request: HttpRequest, filters: Query[s.VendorFilters]):
    return selectors.vendor_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/vendors/",
    response={201: s.VendorOut, **WRITE_ERRORS},
    summary="Add a vendor to a company's directory",
    openapi_extra={"x-permission": "staff"},
)
def vendor_create(request: HttpRequest, payload: s.VendorIn):
    return Status(201, services.vendor_create(actor=request.auth, data=payload.dict()))


@router.get(
    "/vendors/{id}/",
    response={200: s.VendorOut, **READ_ERRORS},
    summary="A vendor",
    openapi_extra=SCOPED,
)
def vendor_detail(request: HttpRequest, id: UUID):
    return selectors.vendor_get_for_actor(actor=request.auth, vendor_id=id)


# Costing, billing and owner approval ----------------------------------------------------------


def _costing(request: HttpRequest, work_order) -> dict:
    costing = selectors.costing_of(work_order)
    charge = selectors.charge_of(work_order.pk)
    expected = services.cost_of(work_order, costing)
    return {
        "cause": costing.cause,
        "payer": costing.payer,
        "bills": charge.payer if charge else services.payer_of(work_order, costing),
        "labour_hours": f"{costing.labour_hours:.2f}",
        "labour_rate": s._money(costing.labour_rate),
        "vendor_invoice_amount": f"{costing.vendor_invoice_amount:.2f}",
        "vendor_invoice_reference": costing.vendor_invoice_reference,
        "estimate_amount": s._money(costing.estimate_amount),
        "estimate_note": costing.estimate_note,
        "approval_status": costing.approval_status,
        "approval_reason": costing.approval_reason,
        "approval_at": costing.approval_at,
        "needs_approval": services.needs_approval(work_order, costing),
        "currency": charge.currency if charge else services._currency_of(work_order),
        "expected": {name: f"{amount:.2f}" for name, amount in expected.items()},
        "charge": charge,
    }


def _staff_or_owner(request: HttpRequest, id: UUID):
    row = selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    is_owner = selectors.owner_id_of(row) == request.auth.pk
    require(services._may_manage(request.auth, row) or is_owner, "Only the desk and the owner see the costs.")
    return row


@router.get(
    "/bookings/{id}/costing/",
    response={200: s.CostingOut, **READ_ERRORS},
    summary="A job's costs, who pays, the estimate and its approval, and the charge once billed",
    openapi_extra={"x-permission": "staff or owner"},
)
def booking_costing(request: HttpRequest, id: UUID):
    return _costing(request, _staff_or_owner(request, id))


@router.patch(
    "/bookings/{id}/costing/",
    response={200: s.CostingOut, **WRITE_ERRORS},
    summary="Set a job's cause, payer, labour, vendor invoice and estimate (an estimate may ask the owner)",
    openapi_extra={"x-permission": "staff"},
)
def booking_costing_update(request: HttpRequest, id: UUID, payload: s.CostingIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    services.costing_update(actor=request.auth, work_order_id=id, data=payload.dict(exclude_unset=True))
    return _costing(request, selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id))


@router.post(
    "/bookings/{id}/approve/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="The owner approves the estimate waiting for them",
    openapi_extra={"x-permission": "owner"},
)
def booking_approve(request: HttpRequest, id: UUID, payload: s.ApprovalIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    services.approval_decide(actor=request.auth, work_order_id=id, approve=True, reason=payload.reason)
    return _detail(request, id)


@router.post(
    "/bookings/{id}/decline/",
    response={200: s.BookingDetailOut, **WRITE_ERRORS},
    summary="The owner declines the estimate waiting for them",
    openapi_extra={"x-permission": "owner"},
)
def booking_decline(request: HttpRequest, id: UUID, payload: s.ApprovalIn):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    services.approval_decide(actor=request.auth, work_order_id=id, approve=False, reason=payload.reason)
    return _detail(request, id)


@router.get(
    "/approval-thresholds/",
    response={200: list[s.ThresholdOut], 400: ErrorOut, 401: ErrorOut},
    summary="Owner approval thresholds of the caller's companies",
    openapi_extra=SCOPED,
)
@paginate
def threshold_list(request: HttpRequest, filters: Query[s.ThresholdFilters]):
    return selectors.threshold_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/approval-thresholds/",
    response={200: s.ThresholdOut, **WRITE_ERRORS},
    summary="Set a company's approval threshold for one owner, or its default (replaces the one there)",
    openapi_extra={"x-permission": "staff"},
)
def threshold_set(request: HttpRequest, payload: s.ThresholdIn):
    return services.threshold_set(
        actor=request.auth, company_id=payload.company_id, owner_id=payload.owner_id, amount=payload.amount
    )


@router.delete(
    "/approval-thresholds/{id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Remove an approval threshold",
    openapi_extra={"x-permission": "staff"},
)
def threshold_delete(request: HttpRequest, id: UUID):
    services.threshold_delete(
        actor=request.auth, row=selectors.threshold_get_for_actor(actor=request.auth, threshold_id=id)
    )
    return Status(204, None)


@router.put(
    "/service-hours/{company_id}/",
    response={200: s.ServiceHoursOut, **WRITE_ERRORS},
    summary="A company's business hours, time zone and holiday country for SLA clocks",
    openapi_extra={"x-permission": "staff"},
)
def service_hours_set(request: HttpRequest, company_id: UUID, payload: s.ServiceHoursIn):
    try:
        ZoneInfo(payload.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("Unknown time zone.", errors={"time_zone": ["Not an IANA zone."]}) from None
    return services.service_hours_set(actor=request.auth, company_id=company_id, data=payload.dict())


# Preventive schedules ---------------------------------------------------------------------------


@router.get(
    "/schedules/",
    response={200: list[s.PreventiveScheduleOut], 400: ErrorOut, 401: ErrorOut},
    summary="Preventive maintenance schedules of the caller's companies",
    openapi_extra=SCOPED,
)
@paginate
def schedule_list(request: HttpRequest, filters: Query[s.PreventiveScheduleFilters]):
    return selectors.schedule_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/schedules/",
    response={201: s.PreventiveScheduleOut, **WRITE_ERRORS},
    summary="Plan recurring work: every N days or months, or a recurrence rule",
    openapi_extra={"x-permission": "staff"},
)
def schedule_create(request: HttpRequest, payload: s.PreventiveScheduleIn):
    return Status(201, services.schedule_create(actor=request.auth, data=payload.dict()))


@router.get(
    "/schedules/{id}/",
    response={200: s.PreventiveScheduleOut, **READ_ERRORS},
    summary="A preventive maintenance schedule",
    openapi_extra=SCOPED,
)
def schedule_detail(request: HttpRequest, id: UUID):
    return selectors.schedule_get_for_actor(actor=request.auth, schedule_id=id)


@router.patch(
    "/schedules/{id}/",
    response={200: s.PreventiveScheduleOut, **WRITE_ERRORS},
    summary="Change or pause a preventive maintenance schedule",
    openapi_extra={"x-permission": "staff"},
)
def schedule_update(request: HttpRequest, id: UUID, payload: s.PreventiveSchedulePatchIn):
    row = selectors.schedule_get_for_actor(actor=request.auth, schedule_id=id)
    return services.schedule_update(actor=request.auth, schedule=row, data=payload.dict(exclude_unset=True))


# Photos -------------------------------------------------------------------------------------------


@router.get(
    "/bookings/{id}/photos/",
    response={200: list[s.PhotoOut], **READ_ERRORS},
    summary="The photos of a booking",
    openapi_extra=SCOPED,
)
def booking_photos(request: HttpRequest, id: UUID):
    return selectors.photos_of(selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id))


@router.post(
    "/bookings/{id}/photos/",
    response={201: s.PhotoOut, **WRITE_ERRORS},
    summary="Add a photo (JPEG, PNG or WebP) of the fault or the work",
    openapi_extra={"x-permission": "requester, staff or assignee"},
    throttle=ScopedRateLimit("upload"),
)
def booking_photo_add(request: HttpRequest, id: UUID, file: File[UploadedFile]):
    selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    return Status(201, services.photo_add(actor=request.auth, work_order_id=id, upload=file))


@router.get(
    "/bookings/{id}/photos/{photo_id}/",
    response={200: None, **READ_ERRORS},
    summary="Download a photo of a booking (to those who may see the booking)",
    openapi_extra={**SCOPED, **download("The photo", "image/jpeg", "image/png", "image/webp")},
)
def booking_photo(request: HttpRequest, id: UUID, photo_id: UUID):
    row = selectors.work_order_get_for_actor(actor=request.auth, work_order_id=id)
    photo = selectors.photo_get(work_order=row, photo_id=photo_id)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
