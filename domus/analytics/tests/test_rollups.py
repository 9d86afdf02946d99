"""Roll-ups: after a series of writes through the services (each publishing its events),
the stored counters equal a full recount, and the staff and admin dashboards read from
them give the same answers as the source tables; cached answers expire when numbers
change; the rebuild job and the command."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from domus.analytics import rollups
from domus.analytics import selectors as dashboards
from domus.analytics.models import Rollup
from domus.analytics.rollup_tasks import rollups_rebuild
from domus.core.roles import Role
from domus.core.scope import Scope
from domus.crm import services as crm
from domus.finance.services import payments
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties import services as properties
from domus.sales.services import deals

BASE = "/api/v1/analytics/dashboard/"


@pytest.fixture
def companies(db, django_capture_on_commit_callbacks):
    """Two companies with a staff member each; ``committed()`` runs what a commit runs
    (the events, through their subscribers)."""
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Beta")
    return {
        "a": a,
        "b": b,
        "staff_a": MembershipFactory(company=a, role=Role.STAFF).user,
        "staff_b": MembershipFactory(company=b, role=Role.STAFF).user,
        "committed": lambda: django_capture_on_commit_callbacks(execute=True),
    }


def _writes(world, steps: int) -> None:
    """A series of writes in both companies: listings created and moved, leads captured and
    moved, deals opened and closed, payments recorded."""
    for i in range(steps):
        for name in ("a", "b"):
            with world["committed"]():
                _write(world, name, i)


def _write(world, name: str, i: int) -> None:
    staff, company = world[f"staff_{name}"], world[name]
    listing = properties.listing_create(
        actor=staff, company_id=company.pk, title=f"House {name}{i}", price=Decimal(1000 + i),
        status="available", is_published=True, listing_type="sale" if i % 2 else "rent",
    )  # fmt: skip
    lead, _ = crm.lead_create(actor=staff, company_id=company.pk, name=f"Lead {i}", email=f"l{i}@example.com")
    if i % 2:
        crm.lead_update(actor=staff, lead=lead, status="contacted")
    deal = deals.deal_create(actor=staff, listing_id=listing.pk, amount=Decimal(5000 * (i + 1)))
    if i % 3 == 0:
        deal = deals.deal_status_change(actor=staff, deal=deal, status="offer")
    if i % 3 == 1:
        deals.deal_status_change(actor=staff, deal=deal, status="closed_lost")
    payments.payment_record_manual(
        actor=staff, method="cash", amount=Decimal("250.50"), reference=f"R{name}{i}",
        listing_id=listing.pk, purpose="deposit",
    )  # fmt: skip
    if i % 2 == 0:
        properties.listing_update(actor=staff, listing=listing, status="under_offer")


def _live(scope: Scope, period) -> dict:
    return {source: dashboards.LIVE_ROWS[source](scope=scope, period=period) for source in dashboards.LIVE_ROWS}


def _canonical(rows: dict) -> dict:
    """Dashboard rows without the columns a source does not fill, comparable as sets."""
    out = {}
    for source, items in rows.items():
        fields = {
            "listings": ("status", "listing_type", "is_published", "count", "new"),
            "leads": ("status", "source", "count", "new"),
            "deals": ("status", "currency", "count", "value", "closed", "closed_value"),
            "commissions": ("status", "currency", "count", "value"),
            "payments": ("currency", "purpose", "count", "value"),
        }[source]
        out[source] = sorted(
            tuple(Decimal(item[f] or 0) if f in ("value", "closed_value") else item[f] for f in fields)
            for item in items
        )
    return out


def test_rollups_equal_a_recount_after_a_series_of_writes(companies):
    rollups.rollup_rebuild()
    _writes(companies, 4)

    assert Rollup.objects.exists()
    assert rollups.rollup_stored() == rollups.rollup_recount()


def test_dashboard_rows_from_rollups_equal_the_source_tables(companies):
    rollups.rollup_rebuild()
    _writes(companies, 3)
    period, _ = dashboards.resolve_period(start=None, end=None, name="last_30_days")
    for scope in (
        Scope("platform"),
        Scope("companies", company_ids=frozenset({companies["a"].pk})),
        Scope("companies", company_ids=frozenset({companies["a"].pk, companies["b"].pk})),
    ):
        read = rollups.rollup_dashboard_rows(scope=scope, period=period, sources=dashboards.LIVE_ROWS)
        assert _canonical(read) == _canonical(_live(scope, period)), scope


def test_a_partition_never_built_is_built_on_its_first_read(client_for, companies):
    _writes(companies, 2)
    Rollup.objects.all().delete()
    rollups.RollupPartition.objects.all().delete()

    body = client_for(companies["staff_a"]).get(BASE + "overview/").json()

    assert body["listings"]["total"] == 2
    assert body["leads"]["new"] == 2
    assert body["collected"] == {"KES": "501.00"}
    assert not Rollup.objects.filter(company_id=companies["b"].pk).exists()  # only the caller's


def test_cached_answers_expire_when_numbers_change(client_for, companies, django_assert_num_queries):
    client = client_for(companies["staff_a"])
    _writes(companies, 1)
    assert client.get(BASE + "overview/").json()["listings"]["total"] == 1
    with django_assert_num_queries(1):  # token (with the memberships): the answer comes from the cache
        assert client.get(BASE + "overview/").json()["listings"]["total"] == 1

    with companies["committed"]():
        properties.listing_create(
            actor=companies["staff_a"], company_id=companies["a"].pk, title="New", price=Decimal(9)
        )

    assert client.get(BASE + "overview/").json()["listings"]["total"] == 2


def test_uncached_overview_costs_a_fixed_number_of_queries(client_for, companies, settings, django_assert_num_queries):
    settings.ANALYTICS_CACHE_SECONDS = 0
    client = client_for(companies["staff_a"])
    _writes(companies, 2)
    client.get(BASE + "overview/")
    # token (with the memberships), partitions built?, the roll-ups (one query for every source)
    with django_assert_num_queries(3):
        assert client.get(BASE + "overview/").status_code == 200


def test_the_rebuild_job_and_the_command_recount_everything(companies, capsys):
    _writes(companies, 2)
    Rollup.objects.all().delete()

    assert rollups_rebuild.delay().get() > 0
    assert rollups.rollup_stored() == rollups.rollup_recount()
    Rollup.objects.filter(source="leads").delete()
    with pytest.raises(Exception, match="differ from a recount"):
        call_command("analytics_rollups", "--check")
    call_command("analytics_rollups")
    call_command("analytics_rollups", "--check")
    assert "equal a recount" in capsys.readouterr().out


def test_the_rebuild_is_registered_for_the_reindex():
    from celery import current_app

    from domus.core.rebuilds import rebuilds

    assert rebuilds()["dashboard_rollups"] in current_app.tasks
