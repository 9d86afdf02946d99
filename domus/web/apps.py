from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "domus.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from domus.web import checks  # noqa: F401  (registers the CSRF check)
