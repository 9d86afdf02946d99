from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "domus.crm"
    label = "crm"
    verbose_name = "CRM"
