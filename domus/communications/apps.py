from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "domus.communications"
    label = "communications"
    verbose_name = "Communications"

    def ready(self) -> None:
        from domus.communications import subscribers  # noqa: F401  (registers the event handlers)
