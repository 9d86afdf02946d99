"""Background jobs of the accounts app."""

from celery import shared_task

from domus.accounts.services.mails import account_mail_send


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_account_mail(*, kind: str, user_id: str, address: str = "") -> None:
    """Send one account e-mail (activation, password reset, e-mail change, ...). Its
    arguments are ids and addresses, never a token: the mail's token and link are
    made here, so no broker message or task log line carries one."""
    account_mail_send(kind=kind, user_id=user_id, address=address)
