"""Auto-attendance and selfie retention, run by Celery beat.

Auto-attendance closes the planned shift days whose check-out window is over: a day
nobody checked in is marked ABSENT, a day checked in but never checked out HALF_DAY.
Each branch's days are its own local days; the advisors of every branch are read and
written in chunks of ``ATTENDANCE_AUTO_CHUNK``, each chunk one transaction (about ten
queries whatever the number of branches). Running it twice gives the same result: absences are inserted with
``ignore_conflicts`` on the one-per-advisor-per-day constraint, and an open day is closed
by a conditional update that matches only while it is still open."""

import logging
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from domus.attendance import clock, planning, selectors
from domus.attendance.models import Attendance, AttendanceSource, AttendanceStatus
from domus.audit.services import audit_record
from domus.core.ids import uuid7

logger = logging.getLogger(__name__)


def attendance_auto_mark(*, now: datetime | None = None, days_back: int = 2) -> dict[str, int]:
    """Mark absences and missed check-outs of each branch's last ``days_back`` local days
    and today (only shifts whose check-out window has closed). Answers the counts."""
    now = now or clock.now()
    utc_day = now.date()
    branch_ids = selectors.branch_ids_with_schedules(
        start=utc_day - timedelta(days=days_back + 1), end=utc_day + timedelta(days=1)
    )
    branches = selectors.branches_by_id(branch_ids)
    branch_clock = selectors.BranchClock(branches.values())
    days_of: dict[Any, list[date]] = {}
    for branch_id in branch_ids:
        local_today = now.astimezone(branch_clock.zone(branch_id)).date()
        days_of[branch_id] = [local_today - timedelta(days=n) for n in range(days_back, -1, -1)]
    if not days_of:
        return {"absent": 0, "half_day": 0, "branches": 0}
    start = min(days[0] for days in days_of.values())
    end = max(days[-1] for days in days_of.values())
    advisor_ids = selectors.advisor_ids_scheduled_at(branch_ids=branch_ids, start=start, end=end)
    totals: Counter[str] = Counter()
    chunk = settings.ATTENDANCE_AUTO_CHUNK
    for index in range(0, len(advisor_ids), chunk):
        totals.update(
            _mark_chunk(
                branches=branches,
                branch_clock=branch_clock,
                advisor_ids=advisor_ids[index : index + chunk],
                days_of=days_of,
                span=(start, end),
                now=now,
            )
        )
    return {"absent": totals["absent"], "half_day": totals["half_day"], "branches": len(branch_ids)}


@transaction.atomic
def _mark_chunk(
    *,
    branches: dict[Any, Any],
    branch_clock: selectors.BranchClock,
    advisor_ids: list[Any],
    days_of: dict[Any, list[date]],
    span: tuple[date, date],
    now: datetime,
) -> Counter[str]:
    """One transaction: the closed planned days of these advisors, at whichever branch
    each day plans them (a day counts for its branch's local calendar)."""
    start, end = span
    all_days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    book = selectors.PlanBook(advisor_ids=advisor_ids, start=start, end=end)
    existing = selectors.attendance_rows(advisor_ids=advisor_ids, start=start, end=end)
    wanted = {branch_id: set(days) for branch_id, days in days_of.items()}
    zones = {branch_id: branch_clock.zone(branch_id) for branch_id in days_of}
    absent: list[dict[str, Any]] = []
    to_close: list[Any] = []
    per_company: dict[Any, Counter[str]] = {}
    for advisor_id in advisor_ids:
        for day, plan in zip(all_days, book.plans(advisor_id, all_days), strict=True):
            branch_id = plan.branch_id
            if plan.kind != planning.WORK or day not in wanted.get(branch_id, ()):
                continue
            shift_start, shift_end = planning.shift_bounds(plan.shift, day, zones[branch_id])
            if now < shift_end + timedelta(minutes=plan.shift.check_out_window_after_minutes):
                continue
            row = existing.get((advisor_id, day))
            company_id = branches[branch_id].company_id
            if row is None:
                absent.append(
                    {
                        "id": uuid7(),
                        "company_id": company_id,
                        "branch_id": branch_id,
                        "site_id": plan.site_id,
                        "advisor_id": advisor_id,
                        "shift_id": plan.shift.pk,
                        "day": day,
                        "shift_start": shift_start,
                        "shift_end": shift_end,
                    }
                )
                per_company.setdefault(company_id, Counter())["absent"] += 1
            elif row.status == AttendanceStatus.OPEN:
                to_close.append(row.pk)
                per_company.setdefault(company_id, Counter())["half_day"] += 1
    inserted = _insert_absences(absent, now=now)
    closed = Attendance.objects.filter(pk__in=to_close, status=AttendanceStatus.OPEN, check_out_at__isnull=True).update(
        status=AttendanceStatus.HALF_DAY, missed_check_out=True, updated_at=now
    )
    for company_id, counts in per_company.items():
        audit_record(
            actor=None,
            action="auto_mark",
            resource_type=Attendance._meta.label_lower,
            resource_id=f"{start.isoformat()}..{end.isoformat()}",
            changes={key: {"before": None, "after": counts[key]} for key in ("absent", "half_day")},
            company_id=company_id,
        )
    return Counter(absent=inserted, half_day=closed)


ABSENCE_FIELDS = (
    "id",
    "company_id",
    "branch_id",
    "site_id",
    "advisor_id",
    "shift_id",
    "day",
    "shift_start",
    "shift_end",
)


def _insert_absences(rows: list[dict[str, Any]], *, now: datetime) -> int:
    """Insert the ABSENT days, skipping any day that has a row already (a punch, or an
    earlier run); answers how many were new. On PostgreSQL one statement whatever the
    number: each varying column is one array parameter (``unnest``), every other column
    one constant, so neither Python nor the database handles a row of SQL per day."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        Attendance.objects.bulk_create(
            [Attendance(**row, status=AttendanceStatus.ABSENT, source=AttendanceSource.AUTO) for row in rows],
            ignore_conflicts=True,
            batch_size=500,
        )
        ids = [row["id"] for row in rows]
        return sum(Attendance.objects.filter(pk__in=ids[n : n + 500]).count() for n in range(0, len(ids), 500))
    fixed = {
        "status": AttendanceStatus.ABSENT,
        "source": AttendanceSource.AUTO,
        "created_at": timezone.now(),
        "updated_at": timezone.now(),
    }
    columns, selected, params = [], [], []
    for model_field in Attendance._meta.concrete_fields:
        column, db_type = model_field.column, model_field.db_type(connection)
        columns.append(f'"{column}"')
        if model_field.attname in ABSENCE_FIELDS:
            selected.append(f"v.{column}")
            continue
        value = fixed.get(model_field.attname, model_field.get_default())
        selected.append(f"%s::{db_type}")
        params.append(model_field.get_db_prep_save(value, connection))
    arrays = []
    for name in ABSENCE_FIELDS:
        model_field = Attendance._meta.get_field(name.removesuffix("_id") if name != "id" else name)
        arrays.append(f"%s::{model_field.db_type(connection)}[]")
        params.append([row[name] for row in rows])
    sql = (
        f"INSERT INTO {Attendance._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS v({', '.join(ABSENCE_FIELDS)}) "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def attendance_photos_purge(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete the selfies of punches older than ``ATTENDANCE_PHOTO_RETENTION_DAYS`` from
    storage and blank their names; answers how many days were purged."""
    now = now or clock.now()
    cutoff = now - timedelta(days=settings.ATTENDANCE_PHOTO_RETENTION_DAYS)
    purged = 0
    while True:
        rows = list(
            selectors.attendance_photos_to_purge(before=cutoff).values_list("pk", "check_in_photo", "check_out_photo")[
                :batch
            ]
        )
        if not rows:
            return purged
        for _, *names in rows:
            for name in names:
                if name:
                    try:
                        default_storage.delete(name)
                    except OSError:
                        logger.warning("selfie not deleted from storage", extra={"name": name})
        with transaction.atomic():
            purged += Attendance.objects.filter(pk__in=[pk for pk, *_ in rows]).update(
                check_in_photo="", check_out_photo="", photos_purged_at=now
            )
