"""The beat job that ends leases past their end date and frees their unit."""

from datetime import date

import pytest

from domus.core.events import subscribe
from domus.leasing import tasks
from domus.leasing.models import LeaseStatus
from domus.leasing.services import lease_activate, leases_end_expired
from domus.leasing.tests.factories import LeaseFactory
from domus.properties.tests.factories import UnitFactory

received: list[tuple[str, dict]] = []


@subscribe("lease.ended")
def remember(*, event: str, payload: dict) -> None:
    received.append((event, payload))


@pytest.fixture
def active_lease(listing, unit, staff):
    lease = LeaseFactory(listing=listing, unit=unit, start_date=date(2026, 1, 1), end_date=date(2026, 6, 30))
    return lease_activate(actor=staff, lease=lease)


@pytest.mark.django_db
def test_a_lease_past_its_end_date_ends_and_frees_its_unit(
    active_lease, unit, audit_log, django_capture_on_commit_callbacks
):
    received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert leases_end_expired(today=date(2026, 7, 1)) == 1

    active_lease.refresh_from_db()
    assert (active_lease.status, active_lease.ended_on) == (LeaseStatus.ENDED, date(2026, 6, 30))
    unit.refresh_from_db()
    assert unit.status == "available"
    assert audit_log.objects.filter(action="end", resource_id=active_lease.id).count() == 1
    assert [payload["id"] for event, payload in received] == [str(active_lease.id)]
    assert received[0][1]["ended_on"] == "2026-06-30"


@pytest.mark.django_db
def test_running_the_job_twice_changes_nothing_more(active_lease, unit, audit_log, django_capture_on_commit_callbacks):
    assert leases_end_expired(today=date(2026, 7, 1)) == 1
    received.clear()
    updated_at = type(active_lease).objects.get(pk=active_lease.pk).updated_at

    with django_capture_on_commit_callbacks(execute=True):
        assert leases_end_expired(today=date(2026, 7, 2)) == 0

    assert type(active_lease).objects.get(pk=active_lease.pk).updated_at == updated_at
    assert audit_log.objects.filter(action="end", resource_id=active_lease.id).count() == 1
    assert received == []


@pytest.mark.django_db
def test_a_lease_is_not_ended_on_its_last_day(active_lease, unit):
    assert leases_end_expired(today=date(2026, 6, 30)) == 0

    active_lease.refresh_from_db()
    assert active_lease.status == LeaseStatus.ACTIVE
    unit.refresh_from_db()
    assert unit.status == "rented"


@pytest.mark.django_db
def test_a_unit_let_again_stays_rented_when_the_old_lease_ends(active_lease, listing, unit, staff):
    successor = LeaseFactory(listing=listing, unit=unit, start_date=date(2026, 7, 1), end_date=date(2027, 6, 30))
    lease_activate(actor=staff, lease=successor)

    assert leases_end_expired(today=date(2026, 7, 1)) == 1

    unit.refresh_from_db()
    assert unit.status == "rented"
    successor.refresh_from_db()
    assert successor.status == LeaseStatus.ACTIVE


@pytest.mark.django_db
def test_the_beat_task_ends_due_leases(listing, staff, settings):
    unit = UnitFactory(listing=listing)
    lease = LeaseFactory(listing=listing, unit=unit, start_date=date(2020, 1, 1), end_date=date(2020, 12, 31))
    lease_activate(actor=staff, lease=lease)

    assert tasks.leases_end_expired.delay().get() == 1

    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ENDED
    assert settings.CELERY_BEAT_SCHEDULE["leasing-leases-end"]["task"] == "domus.leasing.tasks.leases_end_expired"
