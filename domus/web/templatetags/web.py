"""The one filter per kind of value the pages print: money, dates and times (babel,
in the page's language), and the address of a stored file."""

import functools
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from django import template
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

register = template.Library()


def _locale() -> Locale:
    return _parsed(translation.get_language() or "en")


@functools.cache
def _parsed(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@register.filter
def money(amount: Any, currency: str = "KES") -> str:
    """``1234.5|money:"KES"``: the amount with its currency, grouped for the language."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    whole = value == value.to_integral_value()
    pattern = "\u00a4\u00a0#,##0" if whole else "\u00a4\u00a0#,##0.00"
    return format_currency(value, currency or "KES", format=pattern, locale=_locale(), currency_digits=False)


@register.filter
def number(value: Any) -> str:
    if value in (None, ""):
        return ""
    return format_decimal(value, locale=_locale())


@register.filter
def day(value: date | datetime | None) -> str:
    """A date (or the day of a time, in the current time zone), e.g. "6 Dec 2026"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return format_date(value, format="medium", locale=_locale())


@register.filter
def moment(value: datetime | None) -> str:
    """A time with its date, in the current time zone."""
    if value is None or value == "":
        return ""
    return format_datetime(value, format="medium", tzinfo=timezone.get_current_timezone(), locale=_locale())


@register.filter
def stored_url(name: str | None) -> str:
    """The address of a stored file (a thumbnail's storage name)."""
    return default_storage.url(name) if name else ""


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with ``changes`` (a value of None removes the key)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def kind(value: str) -> str:
    """A property type's name in the page's language."""
    from domus.web.forms import PROPERTY_TYPES

    return str(dict(PROPERTY_TYPES).get(value, value))


REPAIR_STATUSES = {
    "requested": _("Requested"),
    "triaged": _("Looked at"),
    "awaiting_approval": _("Waiting for the owner's approval"),
    "scheduled": _("Visit planned"),
    "in_progress": _("Being repaired"),
    "work_done": _("Repaired"),
    "ready_to_bill": _("Repaired"),
    "closed": _("Closed"),
    "cancelled": _("Cancelled"),
    "rejected": _("Turned down"),
}


@register.filter
def repair_status(value: str) -> str:
    """A repair request's status (``maintenance``'s workflow) as its requester reads it."""
    return str(REPAIR_STATUSES.get(value, value))
