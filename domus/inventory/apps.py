from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "domus.inventory"
    label = "inventory"
    verbose_name = "Inventory"
