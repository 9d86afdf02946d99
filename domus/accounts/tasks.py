"""Background jobs of the accounts app."""

from celery import shared_task
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_account_mail(*, to: str, subject: str, body: str) -> None:
    """Send one account e-mail (activation, password reset) from DEFAULT_FROM_EMAIL."""
    send_mail(subject, body, None, [to])
