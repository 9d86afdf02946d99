"""The background recomputation of stale cached facets and map answers, and the
warming of the most asked ones (see ``domus.properties.caching``). Apart from
``tasks.py`` because the selectors start them and ``tasks.py`` imports the services;
``tasks.py`` re-exports them so workers find them."""

from celery import shared_task


@shared_task
def listing_aggregate_refresh(namespace: str, params: dict) -> None:
    """Recompute a stale cached facets or map answer of the public."""
    from domus.properties.selectors import listing_aggregate_refresh_run  # the selectors start this job

    listing_aggregate_refresh_run(namespace=namespace, params=params)


@shared_task
def listing_aggregates_warm() -> int:
    """Keep the unfiltered and per-city public facets cached (beat: every few minutes)."""
    from domus.properties.selectors import listing_aggregates_warm_run

    return listing_aggregates_warm_run()
