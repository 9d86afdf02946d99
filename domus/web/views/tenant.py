"""The tenant's pages: leases, invoices with their PDF (a receipt once paid), and paying
an invoice by M-Pesa (an STK push; the page hears of the answer over the WebSocket, and
polls the payment when it has no socket)."""

from datetime import timedelta
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from domus.accounts import tokens
from domus.core.exceptions import DomusError
from domus.core.policies import require
from domus.finance import policies as finance_policies
from domus.finance import selectors as finance
from domus.finance import services as finance_services
from domus.finance.schemas import InvoiceFilters
from domus.leasing.schemas import LeaseFilters
from domus.leasing.selectors import lease_list_for_actor
from domus.web.forms import PayForm
from domus.web.views.common import member_page, messages_of

LIST_LIMIT = 100
LIVE_TOKEN_LIFETIME = timedelta(minutes=10)
FINAL = {"paid", "cancelled", "timed_out", "insufficient_funds", "wrong_pin", "failed", "expired", "refunded"}


def _live_token(request: HttpRequest) -> str:
    """A short-lived access token for the page's script to open the WebSocket and hear
    of the payment at once (``web/js/live.js``); the htmx polling stays as the fallback."""
    return tokens.issue_access(request.user, lifetime=LIVE_TOKEN_LIFETIME)


@require_GET
@member_page
def leases(request: HttpRequest) -> HttpResponse:
    rows = (
        lease_list_for_actor(actor=request.user, filters=LeaseFilters())
        .filter(tenant=request.user)
        .select_related("listing", "unit")
        .order_by("-start_date")[:LIST_LIMIT]
    )
    return render(request, "web/tenant/leases.html", {"leases": rows})


@require_GET
@member_page
def invoices(request: HttpRequest) -> HttpResponse:
    rows = (
        finance.invoice_list_for_actor(actor=request.user, filters=InvoiceFilters(recipient_id=request.user.pk))
        .exclude(status="draft")
        .order_by("-due_date", "-number")[:LIST_LIMIT]
    )
    return render(request, "web/tenant/invoices.html", {"invoices": rows})


@require_GET
@member_page
def invoice_detail(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    invoice = finance.invoice_get_for_actor(actor=request.user, invoice_id=invoice_id)
    return render(request, "web/tenant/invoice.html", {"invoice": invoice, "form": PayForm()})


@require_GET
@member_page
def invoice_pdf(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    invoice = finance.invoice_get_for_actor(actor=request.user, invoice_id=invoice_id)
    # The API's rule: a void invoice's PDF is for the company's staff alone.
    require(invoice.status != "void" or finance_policies.is_company_staff(request.user, invoice.company_id))
    response = HttpResponse(finance_services.invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.display_number}.pdf"'
    return response


@require_POST
@member_page
def invoice_pay(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    """Start an STK push for the invoice's balance; the answer shows the pending payment,
    which polls its status (htmx) until M-Pesa answers."""
    invoice = finance.invoice_get_for_actor(actor=request.user, invoice_id=invoice_id)
    form = PayForm(request.POST)
    payment, errors = None, []
    if form.is_valid():
        try:
            payment = finance_services.payment_stk_start(
                actor=request.user, phone=form.cleaned_data["phone"], invoice_id=invoice.pk
            )
        except DomusError as error:
            errors = messages_of(error)
    else:
        errors = [message for field in form.errors.values() for message in field]
    if payment is None:
        context = {"invoice": invoice, "form": form, "errors": errors}
        template = "web/tenant/_pay.html" if request.htmx else "web/tenant/invoice.html"
        return render(request, template, context, status=400)
    if not request.htmx:
        return redirect("web-payment", payment_id=payment.pk)
    context = {"payment": payment, "invoice": invoice, "final": False, "live_token": _live_token(request)}
    return render(request, "web/tenant/_payment.html", context)


@require_GET
@member_page
def payment(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """A payment's status: a page, or (htmx, every few seconds) its status part, which
    stops polling once the status is final."""
    found = finance.payment_get_for_actor(actor=request.user, payment_id=payment_id)
    invoice = found.invoice
    final = found.status in FINAL
    live_token = "" if final else _live_token(request)
    context = {"payment": found, "invoice": invoice, "final": final, "live_token": live_token}
    template = "web/tenant/_payment.html" if request.htmx else "web/tenant/payment.html"
    return render(request, template, context)
