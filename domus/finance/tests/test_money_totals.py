"""Dashboard money totals: one entry per currency, two decimals, never summed across currencies."""

from decimal import Decimal

from django.utils import timezone

from domus.communications.subscribers import dashboard_kpis
from domus.finance.models import Payment, PaymentStatus
from domus.organizations.tests.factories import CompanyFactory


def _paid(company, amount: str, currency: str) -> None:
    Payment.objects.create(
        company=company,
        method="cash",
        amount=Decimal(amount),
        currency=currency,
        status=PaymentStatus.PAID,
        paid_at=timezone.now(),
    )


def test_collected_today_is_per_currency_with_two_decimals(company):
    _paid(company, "1000", "KES")
    _paid(company, "2000", "KES")
    _paid(company, "10", "USD")
    _paid(CompanyFactory(), "5", "KES")

    mine = dashboard_kpis(company_id=str(company.id))
    everyone = dashboard_kpis(company_id=None)

    assert (mine["payments_today"], mine["collected_today"]) == (3, {"KES": "3000.00", "USD": "10.00"})
    assert (everyone["payments_today"], everyone["collected_today"]) == (4, {"KES": "3005.00", "USD": "10.00"})


def test_nothing_collected_is_an_empty_map(company):
    assert dashboard_kpis(company_id=str(company.id))["collected_today"] == {}
