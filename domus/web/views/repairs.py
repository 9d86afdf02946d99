"""Repairs: the public booking form with its captcha (the maintenance API's
``bookings``), a signed-in person's requests with their status history, and the photos
a tenant adds to a request (documents of the lease, tagged with the request)."""

import re
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from domus.core.exceptions import DomusError, NotFound
from domus.core.middleware import client_ip
from domus.core.throttling import rate_limited_posts
from domus.documents.schemas import DocumentFilters
from domus.documents.selectors import current_version, document_get_for_actor, document_list_for_actor
from domus.documents.services import document_create
from domus.integrations.captcha import captcha_challenge, captcha_verify
from domus.maintenance.schemas import BookingFilters
from domus.maintenance.selectors import (
    booking_issues,
    photo_get,
    questions_for,
    questions_shown,
    transitions_of,
    work_order_get_for_actor,
    work_order_list_for_actor,
)
from domus.maintenance.services import booking_create
from domus.web.forms import PhotosForm, RepairForm, answer_field
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


def _book(request: HttpRequest, form: RepairForm, photos: list):
    """The booking with its answers (the API's service: the same checks, an answer may make
    it an emergency), then its photos when it is about a lease."""
    data = form.cleaned_data
    issue_id, other_issue_id = form.issue_ids()
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
            "issue_id": UUID(issue_id) if issue_id else None,
            "other_issue_id": UUID(other_issue_id) if other_issue_id else None,
        },
        answers=[answer for _field, answer in form.answers()],
    )
    if photos and work_order.lease_id is None:
        messages.warning(request, _("Photos are kept only for requests about a lease."))
    elif photos:
        _add_photos(request, work_order, photos)
    return work_order


# The service's messages about an answer, in the page's language.
ANSWER_MESSAGES = {
    "Must be a number.": gettext_lazy("Must be a number."),
    "Must be yes or no.": gettext_lazy("Answer yes or no."),
    "Wrong question.": gettext_lazy("This question is not asked for this problem."),
    "Already answered.": gettext_lazy("This question is already answered."),
    "Send a photo.": gettext_lazy("Choose a photo."),
    "Images must be JPEG, PNG or WebP.": gettext_lazy("The photo must be a JPEG, PNG or WebP image."),
    "Corrupt or not an image.": gettext_lazy("This file is not a readable image."),
}
ANSWER_KEY = re.compile(r"^answers\.(\d+)\.(value|question_id)$")


def _repair_form(
    request: HttpRequest, data: Any = None, files: Any = None, *, initial: dict | None = None
) -> RepairForm:
    """The booking form with the problems offered and the questions of the one chosen
    (every booking's questions when none is) that the answers given so far show (a
    question may be asked only when an earlier one has a given answer)."""
    presets, others = booking_issues()
    given = data or initial or {}
    chosen = given.get("issue") or ""
    preset_ids = {str(p.pk) for p in presets}
    asked = questions_for(UUID(chosen) if chosen in preset_ids else None)
    answers = {q.pk: str(given.get(answer_field(q.pk)) or "") for q in asked}
    questions = questions_shown(asked, answers)
    leading = {q.show_if_question_id for q in asked if q.show_if_question_id}
    return RepairForm(
        data, files, initial=initial, presets=presets, others=others, questions=questions, leading=leading
    )


def _answer_errors(form: RepairForm, error: DomusError) -> bool:
    """Put the service's refusals of answers next to their questions; True when all of
    them found their place."""
    fields = [name for name, _answer in form.answers()]
    placed = False
    for key, messages_ in (getattr(error, "errors", None) or {}).items():
        match = ANSWER_KEY.match(key)
        if match and int(match[1]) < len(fields):
            for message in messages_:
                text = str(message)
                if text.startswith("Must be one of"):
                    shown = _("Choose one of the answers.")
                else:
                    shown = ANSWER_MESSAGES.get(text, text)
                form.add_error(fields[int(match[1])], str(shown))
            placed = True
        elif key == "answers":
            for question_id in messages_:
                name = answer_field(UUID(str(question_id)))
                if name in form.fields:
                    form.add_error(name, _("This question needs an answer."))
                    placed = True
        elif key in ("issue", "other_issue"):
            form.add_error("issue", _("This problem is no longer offered."))
            placed = True
    return placed


@require_GET
def questions(request: HttpRequest) -> HttpResponse:
    """The questions of the problem chosen and the answers given so far (htmx swaps them
    into the booking form when the problem or an answer that leads to others changes)."""
    kept = {key: value for key, value in request.GET.items() if key == "issue" or key.startswith("answer_")}
    form = _repair_form(request, initial={"issue": "", **kept})
    return render(request, "web/repairs/_questions.html", {"form": form})


@require_http_methods(["GET", "POST"])
@rate_limited_posts("booking")
def book(request: HttpRequest) -> HttpResponse:
    """Book a repair. A visitor answers the captcha; a signed-in tenant's request is tied
    to their lease and may carry photos. Without scripts, "Show the questions" posts the
    form once to bring the chosen problem's questions (nothing is booked by it)."""
    who = actor(request)
    context = _captcha_context(request)
    if request.method == "POST" and who is None and context.get("sign_in_only"):
        return redirect(reverse("web-login") + "?next=" + reverse("web-repair-book"))
    if request.method == "POST" and request.POST.get("step") == "questions":
        kept = {key: value for key, value in request.POST.items() if key not in ("captcha", "csrfmiddlewaretoken")}
        form = _repair_form(request, initial={**_initial(request), **kept})
        context.update(form=form, photos_form=PhotosForm(), max_photos=PhotosForm.MAX_PHOTOS, step=True)
        return render(request, "web/repairs/book.html", context)
    form = _repair_form(
        request, request.POST or None, request.FILES or None, initial={**_initial(request), **request.GET.dict()}
    )
    photos_form = PhotosForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and photos_form.is_valid():
        data = form.cleaned_data
        try:
            if who is None:
                captcha_verify(f"{data['challenge']}:{data['captcha']}", client_ip(request))
            with transaction.atomic():  # the request, its answers and its photos, or none
                work_order = _book(request, form, photos_form.cleaned_data["photos"])
        except DomusError as error:
            if not _answer_errors(form, error):
                for message in messages_of(error):
                    form.add_error(None, message)
        else:
            if work_order.priority == "emergency":
                messages.warning(request, _("Your answers make this an emergency: it is handled first."))
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
def photo(request: HttpRequest, work_order_id: UUID, photo_id: UUID) -> HttpResponse:
    """One photo of a request: one the maintenance API took (for whoever sees the
    request), or one added on these pages (for whoever may also read the document)."""
    work_order = work_order_get_for_actor(actor=request.user, work_order_id=work_order_id)
    try:
        taken = photo_get(work_order=work_order, photo_id=photo_id)
    except NotFound:
        taken = None
    if taken is not None:
        response = FileResponse(taken.file.open("rb"), content_type=taken.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response
    document = document_get_for_actor(actor=request.user, document_id=photo_id)
    if document.lease_id != work_order.lease_id or photo_tag(work_order.pk) not in (document.tags or []):
        raise NotFound("Photo not found.")
    version = current_version(document=document)
    response = FileResponse(version.file.open("rb"), content_type=version.content_type)
    response["Content-Disposition"] = f'inline; filename="{version.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
