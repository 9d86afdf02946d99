from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "domus.assistant"
    label = "assistant"
    verbose_name = "Assistant"

    def ready(self) -> None:
        from domus.assistant import subscribers  # noqa: F401  (registers the event handlers)
