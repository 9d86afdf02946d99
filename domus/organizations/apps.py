from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class OrganizationsConfig(AppConfig):
    name = "domus.organizations"
    label = "organizations"
    verbose_name = "Companies and branches"

    def ready(self) -> None:
        from domus.organizations.models import Company, Membership
        from domus.organizations.selectors import forget_roles_read

        # The roles a request read with its user are stale once either is written.
        for model in (Membership, Company):
            post_save.connect(forget_roles_read, sender=model, dispatch_uid=f"roles-read-{model.__name__}-save")
            post_delete.connect(forget_roles_read, sender=model, dispatch_uid=f"roles-read-{model.__name__}-delete")
