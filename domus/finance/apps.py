from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "domus.finance"
    label = "finance"
    verbose_name = "Finance"
