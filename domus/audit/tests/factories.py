import factory
from django.utils import timezone

from domus.audit.models import AuditLog


class AuditLogFactory(factory.django.DjangoModelFactory):
    """Audit rows with a chosen ``created_at`` (services stamp the current time)."""

    class Meta:
        model = AuditLog

    created_at = factory.LazyFunction(timezone.now)
    actor = None
    actor_repr = factory.LazyAttribute(lambda row: row.actor.email if row.actor else "")
    action = "update"
    resource_type = "organizations.company"
    resource_id = factory.Sequence(lambda n: f"resource-{n}")
    changes = factory.LazyFunction(lambda: {"name": {"before": "Old", "after": "New"}})
    ip_address = "203.0.113.7"
    user_agent = "pytest"
    request_id = factory.Sequence(lambda n: f"req-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        row = model_class(*args, **kwargs)
        # A raw insert, as loaddata does: auto_now_add would overwrite created_at.
        row.save_base(raw=True)
        return row
