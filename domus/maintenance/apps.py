from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "domus.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance"
