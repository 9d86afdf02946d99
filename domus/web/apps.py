from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "domus.web"
    label = "web"
    verbose_name = "Web pages"
