from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "domus.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from domus.core.images import install_pillow_limits

        install_pillow_limits()
        from domus.core.logging import redact_server_logs

        redact_server_logs()
