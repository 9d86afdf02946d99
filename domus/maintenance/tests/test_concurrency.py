"""One technician booked by two threads at once for overlapping visits: the exclusion
constraint lets one through."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from domus.core.tests.threads import second_waits_for_first
from domus.maintenance.models import WorkOrder, WorkOrderStatus

T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_booking_one_technician_at_once_one_wins(client_for, staff, technician, company):
    orders = [
        WorkOrder.objects.create(company=company, name="A", email="a@example.test", status=WorkOrderStatus.TRIAGED)
        for _ in range(2)
    ]
    clients = [client_for(staff), client_for(staff)]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def book(client, order, offset) -> None:
        try:
            start.wait(timeout=10)
            begin = T0 + timedelta(minutes=offset)
            answer = client.post_json(
                f"/api/v1/maintenance/bookings/{order.id}/technician/",
                {
                    "technician_id": str(technician.id),
                    "start": begin.isoformat(),
                    "end": (begin + timedelta(hours=2)).isoformat(),
                },
            )
            statuses.append(answer.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=(client, order, 30 * i))
        for i, (client, order) in enumerate(zip(clients, orders, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    assert WorkOrder.objects.filter(technician=technician, status=WorkOrderStatus.SCHEDULED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_booking_of_one_technician_waits_for_the_first_and_sees_it(client_for, staff, technician, company):
    """The first booking holds the technician from its overlap check to its commit: a
    second booking of them started meanwhile waits, then finds the first and answers 409
    (without the wait it would book first and the first would fail; two bookings writing
    conflicting rows at once can also deadlock on the exclusion constraint)."""
    from domus.maintenance import selectors, services

    first, second = (
        WorkOrder.objects.create(company=company, name=n, email="a@example.test", status=WorkOrderStatus.TRIAGED)
        for n in "AB"
    )
    window = {"start": T0, "end": T0 + timedelta(hours=2)}

    booked, waited, answer = second_waits_for_first(
        lambda: selectors.technician_overlaps(technician_id=technician.pk, exclude_id=first.pk, **window),
        lambda: services.assign_technician(actor=staff, work_order_id=first.pk, technician=technician, **window),
        lambda: client_for(staff).post_json(
            f"/api/v1/maintenance/bookings/{second.id}/technician/",
            {"technician_id": str(technician.id), **{k: v.isoformat() for k, v in window.items()}},
        ),
    )

    assert booked.pk == first.pk
    assert waited
    assert answer.status_code == 409, answer.content
    assert list(WorkOrder.objects.filter(technician=technician).values_list("name", flat=True)) == ["A"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_preventive_job_at_once_open_each_due_work_order_once(company):
    from datetime import date

    from domus.maintenance import services
    from domus.maintenance.models import PreventiveRun, PreventiveSchedule

    schedules = [
        PreventiveSchedule.objects.create(
            company=company,
            title=f"Boiler {i}",
            every_days=30,
            starts_on=date(2027, 1, 1),
            next_due_on=date(2027, 1, 1),
            lead_days=0,
        )
        for i in range(3)
    ]
    today = date(2027, 3, 5)  # three due dates each: Jan 1, Jan 31, Mar 2
    start = threading.Barrier(2)
    opened: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            opened.append(services.preventive_generate(today=today))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(opened) == 9
    assert PreventiveRun.objects.count() == 9
    assert WorkOrder.objects.filter(preventive_run__isnull=False).count() == 9
    for schedule in schedules:
        assert sorted(PreventiveRun.objects.filter(schedule=schedule).values_list("due_on", flat=True)) == [
            date(2027, 1, 1),
            date(2027, 1, 31),
            date(2027, 3, 2),
        ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_unique_due_date_stops_a_second_work_order_even_without_the_lock(company):
    """Two generators that both read the same next due date: the constraint lets one in."""
    from datetime import date

    from domus.maintenance import services
    from domus.maintenance.models import PreventiveRun, PreventiveSchedule

    schedule = PreventiveSchedule.objects.create(
        company=company, title="Lift", every_days=30, starts_on=date(2027, 1, 1), next_due_on=date(2027, 1, 1)
    )
    start = threading.Barrier(2)
    made: list[bool] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            from django.db import transaction

            with transaction.atomic():
                made.append(services._open_preventive(schedule, date(2027, 1, 1)) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(made) == [False, True]
    assert PreventiveRun.objects.count() == 1
