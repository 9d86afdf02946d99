"""Jobs that rebuild derived data from the source tables (search vectors, roll-ups,
indexes), registered by the apps that own them so one maintenance job (a search
reindex) can run them all without knowing each app:

    # in an app's AppConfig.ready()
    register_rebuild("dashboard_rollups", "domus.analytics.rollups_rebuild")

    # in the reindex job
    for name, task in rebuilds().items(): current_app.send_task(task) ...
"""

_rebuilds: dict[str, str] = {}


def register_rebuild(name: str, task: str) -> None:
    """Register the Celery task (by its registered name) that rebuilds ``name``."""
    _rebuilds[name] = task


def rebuilds() -> dict[str, str]:
    """The registered rebuilds, ``{name: task name}``."""
    return dict(_rebuilds)
