"""Auto-attendance and selfie retention, run by Celery beat.

Auto-attendance closes the planned shift days whose check-out window is over: a day
nobody checked in is marked ABSENT, a day checked in but never checked out HALF_DAY.
Branch by branch, advisors in chunks of ``ATTENDANCE_AUTO_CHUNK``; each chunk is one
transaction. Running it twice gives the same result: absences are inserted with
``ignore_conflicts`` on the one-per-advisor-per-day constraint, and an open day is closed
by a conditional update that matches only while it is still open."""

import logging
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from domus.attendance import clock, planning, selectors
from domus.attendance.models import Attendance, AttendanceSource, AttendanceStatus
from domus.audit.services import audit_record

logger = logging.getLogger(__name__)


def attendance_auto_mark(*, now: datetime | None = None, days_back: int = 2) -> dict[str, int]:
    """Mark absences and missed check-outs of the branches' last ``days_back`` local days
    and today (only shifts whose check-out window has closed). Answers the counts."""
    now = now or clock.now()
    utc_day = now.date()
    totals: Counter[str] = Counter()
    branch_ids = selectors.branch_ids_with_schedules(
        start=utc_day - timedelta(days=days_back + 1), end=utc_day + timedelta(days=1)
    )
    branches = selectors.branches_by_id(branch_ids)
    branch_clock = selectors.BranchClock(branches.values())
    for branch_id in branch_ids:
        local_today = now.astimezone(branch_clock.zone(branch_id)).date()
        days = [local_today - timedelta(days=n) for n in range(days_back, -1, -1)]
        advisor_ids = selectors.advisor_ids_scheduled_at(branch_id=branch_id, start=days[0], end=days[-1])
        chunk = settings.ATTENDANCE_AUTO_CHUNK
        for index in range(0, len(advisor_ids), chunk):
            counts = _mark_chunk(
                branch=branches[branch_id],
                branch_clock=branch_clock,
                advisor_ids=advisor_ids[index : index + chunk],
                days=days,
                now=now,
            )
            totals.update(counts)
    return {"absent": totals["absent"], "half_day": totals["half_day"], "branches": len(branch_ids)}


@transaction.atomic
def _mark_chunk(
    *, branch: Any, branch_clock: selectors.BranchClock, advisor_ids: list[Any], days: list[date], now: datetime
) -> Counter[str]:
    zone = branch_clock.zone(branch.pk)
    book = selectors.PlanBook(advisor_ids=advisor_ids, start=days[0], end=days[-1])
    existing = selectors.attendance_rows(advisor_ids=advisor_ids, start=days[0], end=days[-1])
    absent: list[Attendance] = []
    to_close: list[Any] = []
    for advisor_id in advisor_ids:
        for day in days:
            plan = book.plan(advisor_id, day)
            if plan.kind != planning.WORK or plan.branch_id != branch.pk:
                continue
            start, end = planning.shift_bounds(plan.shift, day, zone)
            if now < end + timedelta(minutes=plan.shift.check_out_window_after_minutes):
                continue
            row = existing.get((advisor_id, day))
            if row is None:
                absent.append(
                    Attendance(
                        company_id=branch.company_id,
                        branch_id=branch.pk,
                        site_id=plan.site_id,
                        advisor_id=advisor_id,
                        shift=plan.shift,
                        day=day,
                        shift_start=start,
                        shift_end=end,
                        status=AttendanceStatus.ABSENT,
                        source=AttendanceSource.AUTO,
                    )
                )
            elif row.status == AttendanceStatus.OPEN:
                to_close.append(row.pk)
    Attendance.objects.bulk_create(absent, ignore_conflicts=True, batch_size=1000)
    closed = Attendance.objects.filter(pk__in=to_close, status=AttendanceStatus.OPEN, check_out_at__isnull=True).update(
        status=AttendanceStatus.HALF_DAY, missed_check_out=True, updated_at=now
    )
    counts = Counter(absent=len(absent), half_day=closed)
    if absent or closed:
        audit_record(
            actor=None,
            action="auto_mark",
            resource_type=Attendance._meta.label_lower,
            resource_id=f"branch:{branch.pk}",
            changes={"days": {"before": None, "after": [d.isoformat() for d in days]}, **_changed(absent, closed)},
            company_id=branch.company_id,
        )
    return counts


def _changed(absent: list[Attendance], closed: int) -> dict[str, Any]:
    return {
        "absent": {"before": None, "after": len(absent)},
        "half_day": {"before": None, "after": closed},
    }


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
