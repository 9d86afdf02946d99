"""Background jobs of the listing portal."""

from celery import shared_task

from domus.properties.aggregate_jobs import listing_aggregate_refresh, listing_aggregates_warm
from domus.properties.services.facet_groups import facet_groups_rebuild
from domus.properties.services.map_grid import map_grid_rebuild
from domus.properties.services.media import media_thumbnail_make
from domus.properties.services.saved_searches import saved_search_alerts_run

__all__ = [
    "facet_groups_refresh",
    "listing_aggregate_refresh",
    "listing_aggregates_warm",
    "map_grid_refresh",
    "media_thumbnail",
    "saved_search_alerts",
]


@shared_task
def saved_search_alerts(frequency: str) -> int:
    """Announce new matches of the saved searches alerted at ``frequency`` (beat runs
    it per frequency: instant every few minutes, daily, weekly)."""
    return saved_search_alerts_run(frequency=frequency)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def media_thumbnail(media_id: str) -> str | None:
    """Make the JPEG thumbnail of an uploaded listing image."""
    return media_thumbnail_make(media_id=media_id)


@shared_task
def map_grid_refresh() -> int:
    """Rebuild the map roll-up of low-zoom clusters (beat: every minute)."""
    return map_grid_rebuild()


@shared_task
def facet_groups_refresh() -> int:
    """Rebuild the facet roll-up of the public listings (beat: every minute)."""
    return facet_groups_rebuild()
