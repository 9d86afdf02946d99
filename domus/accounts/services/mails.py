"""The account e-mails, each built where it is sent (in the mail task) from ids alone:
tokens and links never travel through the broker or its logs."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction

from domus.accounts.models import AccountToken, User
from domus.accounts.services.account_tokens import account_token_issue

EMAIL_CHANGE_SALT = "domus.accounts.email-change"

# (subject, body) of one kind of mail for ``user``; ``address`` is the other e-mail
# address the mail is about (the new one of an e-mail change), when there is one.
Builder = Callable[[User, str], tuple[str, str]]


def email_change_token(user: User, new_email: str) -> str:
    """A signed token of "move ``user`` from their current address to ``new_email``".
    It dies once the current address changes, and after ``ACCOUNT_TOKEN_HOURS``."""
    return signing.dumps({"user": str(user.pk), "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT)


def _greeting(user: User) -> str:
    return f"Hello {user.first_name or user.username},"


def _activation(user: User, address: str) -> tuple[str, str]:
    raw = account_token_issue(user=user, purpose=AccountToken.Purpose.ACTIVATION)
    link = f"{settings.FRONTEND_URL}/activate/?{urlencode({'username': user.username, 'token': raw})}"
    return "Activate your Domus account", (
        f"{_greeting(user)}\n\n"
        f"Welcome to Domus. Activate your account within {settings.ACCOUNT_TOKEN_HOURS} hours:\n\n"
        f"{link}\n\n"
        f"Or send this token to POST /api/v1/accounts/auth/{user.username}/activate/:\n"
        f"Token: {raw}\n\n"
        "If you did not sign up, ignore this e-mail.\n"
    )


def _password_reset(user: User, address: str) -> tuple[str, str]:
    raw = account_token_issue(user=user, purpose=AccountToken.Purpose.PASSWORD_RESET)
    link = f"{settings.FRONTEND_URL}/reset-password/?{urlencode({'token': raw})}"
    return "Reset your Domus password", (
        f"{_greeting(user)}\n\n"
        f"Someone asked to reset the password of your Domus account. The link works once, "
        f"within {settings.ACCOUNT_TOKEN_HOURS} hours:\n\n"
        f"{link}\n\n"
        "Or send this token with your new password to POST /api/v1/accounts/auth/reset-password/:\n"
        f"Token: {raw}\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is.\n"
    )


def _signup_attempt(user: User, address: str) -> tuple[str, str]:
    return "Someone tried to sign up with your address", (
        f"{_greeting(user)}\n\n"
        "Someone tried to create a Domus account with this e-mail address, which already "
        "has an account. No new account was made.\n\n"
        f"If it was you, log in instead, or reset your password at {settings.FRONTEND_URL}/forgot-password/.\n"
        "If it was not you, ignore this e-mail.\n"
    )


def _address_in_use(user: User, address: str) -> tuple[str, str]:
    return "Someone tried to use your address", (
        f"{_greeting(user)}\n\n"
        "Someone tried to move another Domus account to this e-mail address, which already "
        "has an account (yours). Nothing was changed.\n\n"
        "If it was not you, ignore this e-mail.\n"
    )


def _email_change_confirm(user: User, address: str) -> tuple[str, str]:
    token = email_change_token(user, address)
    link = f"{settings.FRONTEND_URL}/confirm-email/?{urlencode({'token': token})}"
    return "Confirm your new Domus e-mail address", (
        f"{_greeting(user)}\n\n"
        f"Confirm that {address} is the new e-mail address of your Domus account "
        f"(within {settings.ACCOUNT_TOKEN_HOURS} hours):\n\n"
        f"{link}\n\n"
        "Or send this token to POST /api/v1/accounts/me/email/confirm/:\n"
        f"Token: {token}\n\n"
        "Until you confirm, your account keeps its current address. If you did not ask for "
        "this, ignore this e-mail.\n"
    )


def _email_change_requested(user: User, address: str) -> tuple[str, str]:
    return "A change of your Domus e-mail address was requested", (
        f"{_greeting(user)}\n\n"
        f"Someone signed in to your Domus account asked to change its e-mail address to {address}. "
        "The change takes effect only once it is confirmed from that address; until then "
        "this address stays the account's.\n\n"
        "If it was not you, change your password now: whoever asked knows it.\n"
    )


def _email_changed(user: User, address: str) -> tuple[str, str]:
    return "Your Domus e-mail address was changed", (
        f"{_greeting(user)}\n\n"
        f"The e-mail address of your Domus account is now {user.email}; this address "
        f"({address}) no longer receives its mail.\n\n"
        "If it was not you, contact support at once.\n"
    )


# kind -> (builder, whether the mail goes to ``address`` rather than the user's own e-mail)
MAILS: dict[str, tuple[Builder, bool]] = {
    "activation": (_activation, False),
    "password_reset": (_password_reset, False),
    "signup_attempt": (_signup_attempt, False),
    "address_in_use": (_address_in_use, False),
    "email_change_confirm": (_email_change_confirm, True),
    "email_change_requested": (_email_change_requested, False),
    "email_changed": (_email_changed, True),
}


@transaction.atomic
def account_mail_send(*, kind: str, user_id: str, address: str = "") -> None:
    """Build and send one account e-mail. A token it issues is rolled back when the mail
    cannot be sent, so the previous e-mail's link keeps working until a retry succeeds."""
    build, to_address = MAILS[kind]
    user = User.objects.filter(pk=user_id).first()
    if user is None:  # deleted since the mail was queued
        return
    subject, body = build(user, address)
    send_mail(subject, body, None, [address if to_address else user.email])
