"""One technician booked by two threads at once for overlapping visits: the exclusion
constraint lets one through."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

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
