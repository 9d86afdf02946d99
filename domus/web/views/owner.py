"""The owner's pages: properties and their units (occupancy), leases, rent collected
and arrears, balance, statements (PDF), payouts, the offers on their listings and the
repair quotes waiting for their approval."""

from datetime import date
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from domus.core.exceptions import DomusError
from domus.documents.schemas import DocumentFilters
from domus.documents.selectors import document_list_for_actor
from domus.finance import selectors as finance
from domus.finance import services as finance_services
from domus.finance.schemas import PayoutFilters
from domus.leasing.schemas import LeaseFilters
from domus.leasing.selectors import lease_list_for_actor
from domus.maintenance.schemas import BookingFilters
from domus.maintenance.selectors import work_order_get_for_actor, work_order_list_for_actor
from domus.maintenance.services import approval_decide
from domus.properties import selectors as listings
from domus.properties.schemas import ListingFilters
from domus.sales.schemas import OfferFilters
from domus.sales.selectors import offer_list_for_actor
from domus.web.forms import ApprovalForm, StatementForm
from domus.web.views.common import member_page, messages_of
from domus.web.views.repairs import photo_tag

LIST_LIMIT = 100


def _my_leases(request: HttpRequest):
    return (
        lease_list_for_actor(actor=request.user, filters=LeaseFilters(owner_id=request.user.pk))
        .select_related("listing", "unit", "tenant", "company")
        .order_by("-start_date")
    )


def _companies(request: HttpRequest) -> list[tuple[str, str]]:
    """The companies managing the owner's leases, for the statement."""
    seen: dict[str, str] = {}
    for lease in _my_leases(request)[:LIST_LIMIT]:
        seen.setdefault(str(lease.company_id), lease.company.name)
    return sorted(seen.items(), key=lambda item: item[1])


@require_GET
@member_page
def overview(request: HttpRequest) -> HttpResponse:
    mine = (
        listings.listing_list_for_actor(actor=request.user, filters=ListingFilters())
        .filter(owner_id=request.user.pk)
        .prefetch_related("units")[:LIST_LIMIT]
    )
    properties = []
    for listing in mine:
        units = list(listing.units.all())
        occupied = sum(1 for unit in units if unit.status in ("rented", "sold"))
        properties.append({"listing": listing, "units": units, "occupied": occupied})
    leases = list(_my_leases(request)[:LIST_LIMIT])
    today = timezone.localdate()
    year_start = date(today.year, 1, 1)
    collected = []
    for company_id, name in _companies(request):
        statement = finance.owner_statement(
            company_id=UUID(company_id), owner_id=request.user.pk, start=year_start, end=today
        )
        balances = finance.owner_balances(company_id=UUID(company_id), owner_id=request.user.pk)
        arrears = finance.owner_arrears(company_id=UUID(company_id), owner_id=request.user.pk, as_of=today)
        collected.append({"company": name, "statement": statement, "balances": balances, "arrears": arrears})
    context = {"properties": properties, "leases": leases, "collected": collected, "year_start": year_start}
    return render(request, "web/owner/overview.html", context)


@require_GET
@member_page
def statement(request: HttpRequest) -> HttpResponse:
    """The statement form; with a period, the statement as a PDF download."""
    form = StatementForm(request.GET or None, companies=_companies(request))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["end"] < data["start"]:
            form.add_error("end", "The period ends before it starts.")
        else:
            try:
                found = finance.owner_statement(
                    company_id=UUID(data["company"]), owner_id=request.user.pk, start=data["start"], end=data["end"]
                )
            except DomusError as error:
                for message in messages_of(error):
                    form.add_error(None, message)
            else:
                response = HttpResponse(
                    finance_services.owner_statement_pdf(statement=found), content_type="application/pdf"
                )
                response["Content-Disposition"] = f'attachment; filename="statement-{data["start"]}.pdf"'
                return response
    if not form.is_bound:
        today = timezone.localdate()
        form = StatementForm(
            initial={"start": date(today.year, today.month, 1), "end": today}, companies=_companies(request)
        )
    return render(request, "web/owner/statement.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@member_page
def arrears(request: HttpRequest) -> HttpResponse:
    """Rent owed on the owner's leases past its due date, per managing company (the API's
    ``finance/owners/{id}/arrears``)."""
    today = timezone.localdate()
    companies = [
        {"company": name, **finance.owner_arrears(company_id=UUID(company_id), owner_id=request.user.pk, as_of=today)}
        for company_id, name in _companies(request)
    ]
    return render(request, "web/owner/arrears.html", {"companies": companies, "today": today})


@require_GET
@member_page
def payouts(request: HttpRequest) -> HttpResponse:
    rows = finance.payout_list_for_actor(actor=request.user, filters=PayoutFilters(owner_id=request.user.pk))
    rows = rows.order_by("-created_at")[:LIST_LIMIT]
    return render(request, "web/owner/payouts.html", {"payouts": rows})


@require_GET
@member_page
def offers(request: HttpRequest) -> HttpResponse:
    rows = (
        offer_list_for_actor(actor=request.user, filters=OfferFilters())
        .filter(listing__owner_id=request.user.pk)
        .select_related("listing", "buyer")
        .order_by("-created_at")[:LIST_LIMIT]
    )
    return render(request, "web/owner/offers.html", {"offers": rows})


def _quotes(request: HttpRequest, state: str):
    """The work orders on the owner's own listings whose quote waits for them (``waiting``,
    the API's ``awaiting_owner``) or that they decided (``decided``), through the same
    scoped selector as the API; a company's staff who own listings see only those."""
    filters = BookingFilters(awaiting_owner=True) if state == "waiting" else BookingFilters()
    rows = (
        work_order_list_for_actor(actor=request.user, filters=filters)
        .filter(listing__owner_id=request.user.pk)
        .select_related("costing", "listing", "unit")
        .prefetch_related("photos")
    )
    if state == "decided":
        rows = rows.filter(costing__approval_status__in=("approved", "declined")).order_by(
            "-costing__approval_at", "-pk"
        )
    return rows


def _document_photos(request: HttpRequest, jobs: list) -> dict[str, list]:
    """Photos a tenant added on the repair pages (documents of the lease tagged with the
    request), for a page of work orders in one query."""
    lease_ids = {job.lease_id for job in jobs if job.lease_id}
    if not lease_ids:
        return {}
    tags = {photo_tag(job.pk): str(job.pk) for job in jobs}
    found: dict[str, list] = {}
    filters = DocumentFilters(category="photo", tag="maintenance")
    for document in document_list_for_actor(actor=request.user, filters=filters).filter(lease_id__in=lease_ids):
        for tag in document.tags or []:
            if tag in tags:
                found.setdefault(tags[tag], []).append(document)
    return found


@require_GET
@member_page
def approvals(request: HttpRequest) -> HttpResponse:
    """Repair quotes on the owner's listings waiting for their approval (or, with
    ``?state=decided``, the ones they decided), a page at a time."""
    state = "decided" if request.GET.get("state") == "decided" else "waiting"
    page = Paginator(_quotes(request, state), settings.WEB_PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = list(page.object_list)
    documents = _document_photos(request, jobs)
    rows = [
        {
            "job": job,
            "costing": job.costing,
            "photos": [*job.photos.all(), *documents.get(str(job.pk), [])],
            "form": ApprovalForm(prefix=str(job.pk)),
        }
        for job in jobs
    ]
    context = {"rows": rows, "page": page, "state": state}
    return render(request, "web/owner/approvals.html", context)


@require_POST
@member_page
def approval(request: HttpRequest, work_order_id: UUID) -> HttpResponse:
    """Approve or decline one quote (the API's ``approve``/``decline``: the same service,
    which lets only the listing's owner decide); the outcome shows on the decided list."""
    job = work_order_get_for_actor(actor=request.user, work_order_id=work_order_id)
    form = ApprovalForm(request.POST, prefix=str(job.pk))
    back = reverse("web-owner-approvals")
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        approval_decide(actor=request.user, work_order_id=job.pk, approve=approve, reason=form.cleaned_data["reason"])
    except DomusError as error:
        for message in messages_of(error):
            messages.error(request, message)
        return redirect(back)
    place = job.listing.title if job.listing_id else str(job.pk)
    if approve:
        messages.success(request, _("You approved the repair quote for %(place)s.") % {"place": place})
    else:
        messages.success(request, _("You declined the repair quote for %(place)s.") % {"place": place})
    return redirect(back + "?state=decided")
