from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "domus.communications"
    label = "communications"
    verbose_name = "Communications"
