from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "domus.analytics"
    label = "analytics"
    verbose_name = "Analytics"
