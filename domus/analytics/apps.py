from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "domus.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from domus.analytics import rollup_tasks, subscribers  # noqa: F401  (registers the jobs and event handlers)
        from domus.analytics.reports import jobs  # noqa: F401  (registers the report job kinds)
        from domus.core.rebuilds import register_rebuild

        register_rebuild("dashboard_rollups", "domus.analytics.rollups_rebuild")
