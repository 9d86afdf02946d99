from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "domus.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from domus.ops import celery_metrics  # noqa: F401  (counts the Celery tasks' outcomes)

        # Registers the job kinds of this app (imports, database maintenance, reindex).
        from domus.ops.services import database, imports, reindex  # noqa: F401
