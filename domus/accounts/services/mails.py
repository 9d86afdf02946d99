"""The account e-mails, each built where it is sent (in the mail task) from ids alone:
tokens and links never travel through the broker or its logs. Each mail is a pair of
templates, ``accounts/email/<kind>.txt`` and ``.html``, rendered in the user's language
(``Profile.language``) where a translation exists; its links lead to the pages under
``/account/`` (``domus.accounts.views``) at ``FRONTEND_URL``."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from domus.accounts.models import AccountToken, Profile, User
from domus.accounts.services.account_tokens import account_token_issue

EMAIL_CHANGE_SALT = "domus.accounts.email-change"

# The template context of one kind of mail for ``user``; ``address`` is the other e-mail
# address the mail is about (the new one of an e-mail change), when there is one.
Builder = Callable[[User, str], dict[str, Any]]


def email_change_token(user: User, new_email: str) -> str:
    """A signed token of "move ``user`` from their current address to ``new_email``".
    It dies once the current address changes, and after ``ACCOUNT_TOKEN_HOURS``."""
    return signing.dumps({"user": str(user.pk), "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT)


def page_link(name: str, **query: str) -> str:
    """The absolute address of one of the account pages, with its query string."""
    link = f"{settings.FRONTEND_URL.rstrip('/')}{reverse(name)}"
    return f"{link}?{urlencode(query)}" if query else link


def _activation(user: User, address: str) -> dict[str, Any]:
    raw = account_token_issue(user=user, purpose=AccountToken.Purpose.ACTIVATION)
    return {
        "link": page_link("account-activate", username=user.username, token=raw),
        "token": raw,
        "username": user.username,
    }


def _password_reset(user: User, address: str) -> dict[str, Any]:
    raw = account_token_issue(user=user, purpose=AccountToken.Purpose.PASSWORD_RESET)
    return {"link": page_link("account-reset-password", token=raw), "token": raw}


def _signup_attempt(user: User, address: str) -> dict[str, Any]:
    return {"link": page_link("account-forgot-password")}


def _address_in_use(user: User, address: str) -> dict[str, Any]:
    return {}


def _email_change_confirm(user: User, address: str) -> dict[str, Any]:
    token = email_change_token(user, address)
    return {"link": page_link("account-confirm-email", token=token), "token": token}


def _email_change_requested(user: User, address: str) -> dict[str, Any]:
    return {}


def _email_changed(user: User, address: str) -> dict[str, Any]:
    return {"email": user.email}


# kind -> (subject, context builder, whether the mail goes to ``address`` rather than the user's own e-mail)
MAILS: dict[str, tuple[str, Builder, bool]] = {
    "activation": (gettext_noop("Activate your Domus account"), _activation, False),
    "password_reset": (gettext_noop("Reset your Domus password"), _password_reset, False),
    "signup_attempt": (gettext_noop("Someone tried to sign up with your address"), _signup_attempt, False),
    "address_in_use": (gettext_noop("Someone tried to use your address"), _address_in_use, False),
    "email_change_confirm": (
        gettext_noop("Confirm your new Domus e-mail address"),
        _email_change_confirm,
        True,
    ),
    "email_change_requested": (
        gettext_noop("A change of your Domus e-mail address was requested"),
        _email_change_requested,
        False,
    ),
    "email_changed": (gettext_noop("Your Domus e-mail address was changed"), _email_changed, True),
}


def _language(user: User) -> str:
    """The user's language when Django knows it, else the site's."""
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""
    return language if language and translation.check_for_language(language) else settings.LANGUAGE_CODE


def account_mail_render(kind: str, user: User, address: str = "") -> tuple[str, str, str]:
    """The subject, text and HTML bodies of one account mail, in the user's language."""
    subject, build, _ = MAILS[kind]
    with translation.override(_language(user)):
        context = {
            "name": user.first_name or user.username,
            "address": address,
            "hours": settings.ACCOUNT_TOKEN_HOURS,
            **build(user, address),
        }
        context["subject"] = gettext(subject)
        text = render_to_string(f"accounts/email/{kind}.txt", context)
        html = render_to_string(f"accounts/email/{kind}.html", context)
    return context["subject"], text, html


@transaction.atomic
def account_mail_send(*, kind: str, user_id: str, address: str = "") -> None:
    """Build and send one account e-mail. A token it issues is rolled back when the mail
    cannot be sent, so the previous e-mail's link keeps working until a retry succeeds."""
    to_address = MAILS[kind][2]
    user = User.objects.filter(pk=user_id).first()
    if user is None:  # deleted since the mail was queued
        return
    subject, text, html = account_mail_render(kind, user, address)
    message = EmailMultiAlternatives(subject, text, None, [address if to_address else user.email])
    message.attach_alternative(html, "text/html")
    message.send()
