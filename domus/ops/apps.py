from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "domus.ops"
    label = "ops"
    verbose_name = "Operations"
