"""Background jobs of the listing portal."""

from celery import shared_task

from domus.properties.services.media import media_thumbnail_make
from domus.properties.services.saved_searches import saved_search_alerts_run


@shared_task
def saved_search_alerts(frequency: str) -> int:
    """Announce new matches of the saved searches alerted at ``frequency`` (beat runs
    it per frequency: instant every few minutes, daily, weekly)."""
    return saved_search_alerts_run(frequency=frequency)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def media_thumbnail(media_id: str) -> str | None:
    """Make the JPEG thumbnail of an uploaded listing image."""
    return media_thumbnail_make(media_id=media_id)
