"""The server's clock, the only one attendance believes (a device's time is evidence only).
One function, so tests can set the time of a punch."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
