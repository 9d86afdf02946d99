from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "domus.sales"
    label = "sales"
    verbose_name = "Sales"
