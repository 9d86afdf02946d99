from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "domus.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from domus.ops import celery_metrics  # noqa: F401  (counts the Celery tasks' outcomes)
