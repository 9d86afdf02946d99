"""System checks of finance settings. An Error fails ``manage.py check`` (and the ``release``
step's ``check --deploy --fail-level ERROR``) and stops the WSGI and ASGI entry points from
starting (``domus.core.startup``)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from domus.integrations import mpesa


@register("finance")
def mpesa_callback_is_protected(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """With real Daraja credentials the public callback route must be guarded: anyone who can
    reach it could otherwise forge a success callback."""
    if mpesa.simulator_enabled():
        return []
    if settings.MPESA_CALLBACK_TOKEN or settings.MPESA_CALLBACK_ALLOWED_IPS:
        return []
    return [
        Error(
            "MPESA_CONSUMER_KEY is set but the M-Pesa callback is unprotected.",
            hint="Set MPESA_CALLBACK_TOKEN (a long random secret, appended to the CallBackURL sent to Daraja) "
            "and/or MPESA_CALLBACK_ALLOWED_IPS (Safaricom's callback addresses).",
            id="finance.E001",
        )
    ]
