"""The owner's pages: properties and their units (occupancy), leases, rent collected
and arrears, balance, statements (PDF), payouts and the offers on their listings."""

from datetime import date
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from domus.core.exceptions import DomusError
from domus.finance import selectors as finance
from domus.finance import services as finance_services
from domus.finance.schemas import PayoutFilters
from domus.leasing.schemas import LeaseFilters
from domus.leasing.selectors import lease_list_for_actor
from domus.properties import selectors as listings
from domus.properties.schemas import ListingFilters
from domus.sales.schemas import OfferFilters
from domus.sales.selectors import offer_list_for_actor
from domus.web.forms import StatementForm
from domus.web.views.common import member_page, messages_of

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
