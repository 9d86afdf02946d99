"""Repairs: the public booking form with its captcha (the maintenance API's
``bookings``), a signed-in person's requests with their status history, and the photos
a tenant adds to a request (documents of the lease, tagged with the request)."""

import re
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from domus.core.exceptions import DomusError, NotFound
from domus.core.middleware import client_ip
from domus.core.throttling import rate_limited_posts
from domus.documents.schemas import DocumentFilters
from domus.documents.selectors import current_version, document_get_for_actor, document_list_for_actor
from domus.documents.services import document_create
from domus.integrations.captcha import captcha_challenge, captcha_verify
from domus.maintenance.schemas import BookingFilters
from domus.maintenance.selectors import transitions_of, work_order_get_for_actor, work_order_list_for_actor
from domus.maintenance.services import booking_create
from domus.web.forms import PhotosForm, RepairForm
from domus.web.views.common import actor, member_page, messages_of

LIST_LIMIT = 100
PHOTOS_SHOWN = 20
FINISHED = ("closed", "cancelled", "rejected")
# The workflow's steps, in order, as a requester follows them (maintenance.models.WorkOrderStatus).
STEPS = ("requested", "triaged", "awaiting_approval", "scheduled", "in_progress", "work_done", "closed")


def photo_tag(work_order_id: UUID) -> str:
    """The tag that ties a photo (a document of the lease) to its repair request."""
    return f"repair-{work_order_id}"


def _question(challenge_question: str) -> str:
    """The embedded captcha's sum, asked in the page's language."""
    a, b = [*re.findall(r"\d+", challenge_question), "0", "0"][:2]
    return _("What is %(a)s + %(b)s?") % {"a": a, "b": b}


def _captcha_context(request: HttpRequest) -> dict:
    if request.user.is_authenticated:
        return {"captcha": None}
    if settings.CAPTCHA_SECRET:
        # A third-party captcha needs the provider's script, which these pages never load.
        return {"captcha": None, "sign_in_only": True}
    challenge = captcha_challenge()
    return {"captcha": {"question": _question(challenge.question), "challenge": challenge.challenge}}


def _initial(request: HttpRequest) -> dict:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"name": user.get_full_name() or user.username, "email": user.email, "phone": user.phone or ""}


def _photos_of(request: HttpRequest, work_order) -> list:
    if work_order.lease_id is None:
        return []
    filters = DocumentFilters(tag=photo_tag(work_order.pk), lease_id=work_order.lease_id, category="photo")
    return list(document_list_for_actor(actor=request.user, filters=filters)[:PHOTOS_SHOWN])


def _add_photos(request: HttpRequest, work_order, photos: list) -> None:
    """Each photo becomes a document of the request's lease (the tenant may file those),
    tagged with the request, so the company's staff see it with the lease's papers."""
    for photo in photos:
        document_create(
            actor=request.user,
            upload=photo,
            filename=photo.name,
            title=_("Repair photo: %(name)s") % {"name": photo.name[:150]},
            category="photo",
            tags=["maintenance", photo_tag(work_order.pk)],
            lease_id=work_order.lease_id,
        )


def _book(request: HttpRequest, data: dict, photos: list):
    """The booking (the API's service), then its photos when it is about a lease."""
    work_order = booking_create(
        actor=actor(request),
        data={
            "name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
            "address": data["address"],
            "message": data["message"],
            "preferred_date": data["date"],
            "preferred_time": data["time"],
        },
        answers=[],
    )
    if photos and work_order.lease_id is None:
        messages.warning(request, _("Photos are kept only for requests about a lease."))
    elif photos:
        _add_photos(request, work_order, photos)
    return work_order


@require_http_methods(["GET", "POST"])
@rate_limited_posts("booking")
def book(request: HttpRequest) -> HttpResponse:
    """Book a repair. A visitor answers the captcha; a signed-in tenant's request is tied
    to their lease and may carry photos."""
    who = actor(request)
    context = _captcha_context(request)
    if request.method == "POST" and who is None and context.get("sign_in_only"):
        return redirect(reverse("web-login") + "?next=" + reverse("web-repair-book"))
    form = RepairForm(request.POST or None, initial=_initial(request))
    photos_form = PhotosForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and photos_form.is_valid():
        data = form.cleaned_data
        try:
            if who is None:
                captcha_verify(f"{data['challenge']}:{data['captcha']}", client_ip(request))
            with transaction.atomic():  # the request and its photos, or neither
                work_order = _book(request, data, photos_form.cleaned_data["photos"])
        except DomusError as error:
            for message in messages_of(error):
                form.add_error(None, message)
        else:
            if who is None:
                messages.success(
                    request,
                    _("Your repair is booked (reference %(reference)s). We will write to %(email)s.")
                    % {"reference": work_order.pk, "email": data["email"]},
                )
                return redirect("web-repair-book")
            messages.success(request, _("Your repair request is sent."))
            return redirect("web-repair", work_order_id=work_order.pk)
    if form.is_bound:
        form.data = form.data.copy()
        form.data.pop("captcha", None)  # a captcha is good for one try: a new one is asked
    context.update(form=form, photos_form=photos_form, max_photos=PhotosForm.MAX_PHOTOS)
    return render(request, "web/repairs/book.html", context, status=400 if form.is_bound else 200)


@require_GET
@member_page
def mine(request: HttpRequest) -> HttpResponse:
    rows = (
        work_order_list_for_actor(actor=request.user, filters=BookingFilters())
        .filter(requester=request.user)
        .order_by("-created_at")[:LIST_LIMIT]
    )
    return render(request, "web/repairs/mine.html", {"requests": rows})


@require_GET
@member_page
def detail(request: HttpRequest, work_order_id: UUID) -> HttpResponse:
    """A request: its status, the steps it went through (tracking), its photos."""
    work_order = work_order_get_for_actor(actor=request.user, work_order_id=work_order_id)
    history = transitions_of(work_order)
    done = {t.to_status for t in history}
    steps = [
        {"status": step, "done": step in done, "current": step == work_order.status}
        for step in STEPS
        if step != "awaiting_approval" or step in done
    ]
    context = {
        "work_order": work_order,
        "history": history,
        "steps": steps,
        "finished": work_order.status in FINISHED,
        "photos": _photos_of(request, work_order),
        "photos_form": PhotosForm(),
        "max_photos": PhotosForm.MAX_PHOTOS,
    }
    return render(request, "web/repairs/detail.html", context)


@require_POST
@member_page
def photos_add(request: HttpRequest, work_order_id: UUID) -> HttpResponse:
    work_order = work_order_get_for_actor(actor=request.user, work_order_id=work_order_id)
    form = PhotosForm(request.POST, request.FILES)
    if work_order.requester_id != request.user.pk or work_order.lease_id is None:
        messages.error(request, _("Photos are added by the tenant who asked for the repair."))
    elif not form.is_valid():
        for message in form.non_field_errors():
            messages.error(request, message)
    elif not form.cleaned_data["photos"]:
        messages.error(request, _("Choose a photo."))
    else:
        try:
            _add_photos(request, work_order, form.cleaned_data["photos"])
        except DomusError as error:
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("The photos are added."))
    return redirect("web-repair", work_order_id=work_order.pk)


@require_GET
@member_page
def photo(request: HttpRequest, work_order_id: UUID, document_id: UUID) -> HttpResponse:
    """One photo of a request, for whoever may read both (the documents' own scoping)."""
    work_order = work_order_get_for_actor(actor=request.user, work_order_id=work_order_id)
    document = document_get_for_actor(actor=request.user, document_id=document_id)
    if document.lease_id != work_order.lease_id or photo_tag(work_order.pk) not in (document.tags or []):
        raise NotFound("Photo not found.")
    version = current_version(document=document)
    response = FileResponse(version.file.open("rb"), content_type=version.content_type)
    response["Content-Disposition"] = f'inline; filename="{version.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
