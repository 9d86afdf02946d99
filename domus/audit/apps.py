from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "domus.audit"
    label = "audit"
    verbose_name = "Audit log"
