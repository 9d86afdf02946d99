from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "domus.organizations"
    label = "organizations"
    verbose_name = "Companies and branches"
