from django.apps import AppConfig


class LeasingConfig(AppConfig):
    name = "domus.leasing"
    label = "leasing"
    verbose_name = "Leasing"
