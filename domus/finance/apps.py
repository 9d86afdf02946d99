from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "domus.finance"
    label = "finance"
    verbose_name = "Finance"

    def ready(self) -> None:
        from domus.finance import checks  # noqa: F401 - registers the system checks
