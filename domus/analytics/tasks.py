"""Background report work (Celery): thin wrappers around the report services.

``performance_pack_deliver`` builds a performance pack as the user who asked for it,
stores the PDF and e-mails it; its progress goes to Celery's task state (``PROGRESS``
with ``done``/``total``/``step``) until the jobs resource of the operations app wires
the same ``progress`` callback to its job rows. ``seller_packs_weekly`` (beat: Mondays)
sends every owner with listings on the market their weekly seller pack."""

from datetime import date
from typing import Any
from uuid import UUID

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.utils import timezone

from domus.accounts import selectors as accounts
from domus.analytics.reports import performance, seller
from domus.analytics.reports.pdf import tables_pdf
from domus.core.ids import uuid7


def performance_pack_file(*, actor: Any, start: date, end: date, scope: dict[str, Any], progress=None) -> str:
    """Build the pack as ``actor``, store its PDF (``reports/performance/<id>.pdf`` in the
    default storage) and e-mail it to them; answers the stored file's name."""
    pack_scope = performance.pack_scope(actor=actor, **scope)
    pack = performance.performance_pack_build(actor=actor, start=start, end=end, scope=pack_scope, progress=progress)
    fields = [("Period", f"{start} to {end}"), ("Scope", scope.get("kind", "company"))]
    document = tables_pdf("Performance pack", fields, performance.performance_tables(pack))
    name = default_storage.save(f"reports/performance/{uuid7()}.pdf", ContentFile(document))
    if actor.email:
        message = EmailMessage(
            subject=f"Performance pack {start} to {end}",
            body="Your performance pack is attached.",
            to=[actor.email],
        )
        message.attach(f"performance-{start}-{end}.pdf", document, "application/pdf")
        message.send(fail_silently=False)
    return name


@shared_task(bind=True)
def performance_pack_deliver(self, actor_id: str, start: str, end: str, scope: dict[str, Any]) -> dict[str, str]:
    """Build, store and e-mail a performance pack; progress in the task state."""
    actor = accounts.active_user(UUID(actor_id))
    if actor is None:
        return {"status": "skipped", "reason": "The user is gone or inactive."}

    def progress(done: int, total: int, step: str) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total, "step": step})

    name = performance_pack_file(
        actor=actor, start=date.fromisoformat(start), end=date.fromisoformat(end), scope=scope, progress=progress
    )
    return {"status": "done", "file": name}


@shared_task
def seller_packs_weekly() -> int:
    """E-mail every owner with listings on the market their weekly seller pack (beat)."""
    return seller.seller_packs_send(today=timezone.now().date())
