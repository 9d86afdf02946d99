from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "domus.properties"
    label = "properties"
    verbose_name = "Listings"
