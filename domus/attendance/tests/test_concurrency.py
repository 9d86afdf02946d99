"""Two check-ins racing for one shift day: the database's unique constraint lets one win."""

import threading

import pytest
from django.db import connection

from domus.attendance.models import Attendance
from domus.attendance.tests.conftest import BRANCH_LAT, BRANCH_LON, local, selfie


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_check_ins_make_one_attendance(schedule, shift, advisor, client_for, at):
    at(local(2026, 3, 2, 8, 58))
    clients = [client_for(advisor) for _ in range(4)]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def punch(client, seed: int) -> None:
        try:
            body = {"shift_id": str(shift.pk), "lat": BRANCH_LAT, "lon": BRANCH_LON, "photo": selfie(seed)}
            start.wait(timeout=10)
            statuses.append(client.post("/api/attendance/check-in", data=body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=punch, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [201, 409, 409, 409]
    assert Attendance.objects.filter(advisor=advisor).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_auto_attendance_racing_itself_marks_each_day_once(schedule, advisor):
    from domus.attendance.services import auto

    start = threading.Barrier(2)
    results: list[dict] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(auto.attendance_auto_mark(now=local(2026, 3, 4, 12, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert Attendance.objects.filter(advisor=advisor).count() == 2  # the 2nd and the 3rd
