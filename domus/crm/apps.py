from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "domus.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from domus.crm import subscribers  # noqa: F401  (registers the event handlers)
