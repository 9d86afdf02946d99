from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "domus.marketing"
    label = "marketing"
    verbose_name = "Marketing"

    def ready(self) -> None:
        from domus.marketing import subscribers  # noqa: F401  (registers the event handlers)
