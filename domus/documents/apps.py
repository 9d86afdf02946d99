from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "domus.documents"
    label = "documents"
    verbose_name = "Documents"
