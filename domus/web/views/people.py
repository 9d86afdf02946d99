"""The people a visitor reaches: an agent's page, the branches ("stores") of the
companies and one branch's page, and the CRM's two public forms (send a message,
schedule a call) to an agent, a branch's company or about a listing."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from domus.accounts.selectors import agent_profile_get_for_actor
from domus.core.exceptions import DomusError, NotFound
from domus.core.ids import uuid7
from domus.core.throttling import rate_limited_posts
from domus.crm.services import lead_capture
from domus.organizations.schemas import BranchFilters
from domus.organizations.selectors import branch_get_for_actor, branch_list_for_actor
from domus.properties import selectors as listings
from domus.properties.schemas import ListingFilters
from domus.web.forms import CallForm, ContactForm
from domus.web.views.common import actor, messages_of, page

SHOWN = 8
# The CRM's lead sources (``crm.models.LeadSource``) of the three ways in.
CONTACT_FORM, LISTING_INQUIRY, SCHEDULE_CALL = "contact_form", "listing_inquiry", "schedule_call"
BRANCHES_SHOWN = 100


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        raise NotFound("Not found.") from None


def _target(request: HttpRequest, data: Any) -> dict[str, Any]:
    """Whom a form is for, from its ``agent``, ``branch`` or ``listing`` field: the page to
    go back to, its heading, and what ``lead_capture`` takes (each read through the same
    selector as its API page, so a hidden one is a 404)."""
    who = actor(request)
    if agent_id := _uuid(data.get("agent")):
        profile = agent_profile_get_for_actor(actor=who, agent_profile_id=agent_id)
        name = profile.user.get_full_name() or profile.user.username
        return {
            "kind": "agent",
            "id": profile.pk,
            "title": name,
            "back": ("web-agent", profile.pk),
            "capture": {"company_id": profile.company_id, "agent_id": profile.user_id if profile.company_id else None},
        }
    if branch_id := _uuid(data.get("branch")):
        branch = branch_get_for_actor(actor=who, branch_id=branch_id)
        return {
            "kind": "branch",
            "id": branch.pk,
            "title": branch.name,
            "back": ("web-branch", branch.pk),
            "capture": {"company_id": branch.company_id},
        }
    if listing_id := _uuid(data.get("listing")):
        listing = listings.listing_get_for_actor(actor=who, listing_id=listing_id)
        return {
            "kind": "listing",
            "id": listing.pk,
            "title": listing.title,
            "back": ("web-listing", listing.pk),
            "capture": {"listing_id": listing.pk},
        }
    return {"kind": "", "id": "", "title": "", "back": ("web-contact",), "capture": {}}


def _initial(request: HttpRequest) -> dict[str, str]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"name": user.get_full_name() or user.username, "email": user.email, "phone": user.phone or ""}


def contact_forms(request: HttpRequest, target: dict[str, Any], **bound: Any) -> dict[str, Any]:
    """The two forms of a contact box (``bound`` replaces the one that was posted)."""
    return {
        "target": target,
        "contact_form": bound.get("contact_form") or ContactForm(initial=_initial(request), prefix="contact"),
        "call_form": bound.get("call_form") or CallForm(initial=_initial(request), prefix="call"),
    }


@require_GET
@page
def agent(request: HttpRequest, agent_profile_id: UUID) -> HttpResponse:
    profile = agent_profile_get_for_actor(actor=actor(request), agent_profile_id=agent_profile_id)
    homes = list(
        listings.listing_list_for_actor(actor=None, filters=ListingFilters()).filter(agent_id=profile.user_id)[:SHOWN]
    )
    target = _target(request, {"agent": str(profile.pk)})
    context = {"profile": profile, "homes": homes, **contact_forms(request, target)}
    return render(request, "web/people/agent.html", context)


@require_GET
def branches(request: HttpRequest) -> HttpResponse:
    city = request.GET.get("city", "").strip()[:100] or None
    rows = branch_list_for_actor(actor=actor(request), filters=BranchFilters(city=city))[:BRANCHES_SHOWN]
    return render(request, "web/people/branches.html", {"branches": rows, "city": city or ""})


@require_GET
@page
def branch(request: HttpRequest, branch_id: UUID) -> HttpResponse:
    found = branch_get_for_actor(actor=actor(request), branch_id=branch_id)
    homes = listings.listing_list_for_actor(actor=None, filters=ListingFilters(city=found.city or None))
    homes = list(homes.filter(company_id=found.company_id)[:SHOWN])
    target = _target(request, {"branch": str(found.pk)})
    context = {
        "branch": found,
        "homes": homes,
        "tile_url": settings.WEB_MAP_TILE_URL,
        "tile_attribution": settings.WEB_MAP_TILE_ATTRIBUTION,
        **contact_forms(request, target),
    }
    return render(request, "web/people/branch.html", context)


@require_GET
@page
def contact(request: HttpRequest) -> HttpResponse:
    """The contact page: the two forms, for whoever ``?agent=``, ``?branch=`` or
    ``?listing=`` names (else the platform's company)."""
    return render(request, "web/people/contact.html", contact_forms(request, _target(request, request.GET)))


def _capture(request: HttpRequest, form_class: type[ContactForm], prefix: str, source: str) -> HttpResponse:
    target = _target(request, request.POST)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        data = form.cleaned_data
        if data["website"]:  # the honeypot: a bot learns nothing, and nothing is stored
            return _sent(request, target, uuid7())
        try:
            submission = lead_capture(
                actor=request.user,
                source=source,
                name=data["name"],
                email=data["email"] or None,
                phone=data["phone"],
                message=data["message"],
                preferred_call_at=data.get("preferred_at"),
                **{"listing_id": None, "company_id": None, **target["capture"]},
            )
        except DomusError as error:
            for message in messages_of(error):
                form.add_error(None, message)
        else:
            return _sent(request, target, submission.id)
    bound = {"contact_form" if prefix == "contact" else "call_form": form}
    return render(request, "web/people/contact.html", contact_forms(request, target, **bound), status=400)


def _sent(request: HttpRequest, target: dict[str, Any], reference: UUID) -> HttpResponse:
    messages.success(
        request, _("Thank you: your request is received (reference %(reference)s).") % {"reference": reference}
    )
    name, *args = target["back"]
    return redirect(name, *args)


@require_POST
@page
@rate_limited_posts("contact")
def contact_send(request: HttpRequest) -> HttpResponse:
    source = LISTING_INQUIRY if request.POST.get("listing") else CONTACT_FORM
    return _capture(request, ContactForm, "contact", source)


@require_POST
@page
@rate_limited_posts("schedule_call")
def call_schedule(request: HttpRequest) -> HttpResponse:
    return _capture(request, CallForm, "call", SCHEDULE_CALL)
