"""Scheduled finance jobs (Celery beat) and background work: thin wrappers around services."""

from uuid import UUID

from celery import shared_task

from domus.finance import services


@shared_task
def rent_invoices_issue() -> int:
    """Issue each due rent period's invoice exactly once (beat: daily)."""
    return services.rent_invoices_issue()


@shared_task
def late_fees_apply() -> int:
    """Mark invoices past their grace period overdue and add their late fee (beat: daily)."""
    return services.late_fees_apply()


@shared_task
def mpesa_pending_query() -> int:
    """Query Daraja about STK pushes with no callback yet (beat: every 2 minutes)."""
    return services.mpesa_pending_query()


@shared_task
def invoice_email(invoice_id: str) -> None:
    """E-mail one invoice's PDF to its recipient."""
    services.invoice_deliver(invoice_id=UUID(invoice_id))


@shared_task
def invoices_announce(invoice_ids: list[str]) -> None:
    """Notify and e-mail the recipients of a batch of job-issued invoices."""
    services.invoices_announce(invoice_ids=[UUID(invoice_id) for invoice_id in invoice_ids])
