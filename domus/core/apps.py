from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "domus.core"
    label = "core"
    verbose_name = "Core"
