"""Scheduled attendance jobs (Celery beat): thin wrappers around services."""

from celery import shared_task

from domus.attendance.services import auto


@shared_task
def attendance_auto_mark() -> dict[str, int]:
    """Mark absences and missed check-outs of closed shift days (beat: hourly)."""
    return auto.attendance_auto_mark()


@shared_task
def attendance_photos_purge() -> int:
    """Delete selfies past ATTENDANCE_PHOTO_RETENTION_DAYS (beat: daily)."""
    return auto.attendance_photos_purge()
