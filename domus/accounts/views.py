"""The small server-rendered account pages the account e-mails link to: activate an
account, choose a new password, confirm a new e-mail address, ask for a reset link.

Each page shows a form; only its POST acts (through the same services as the API), so
a mail scanner that opens the link activates or confirms nothing. POSTs share the API's
``auth`` rate limit."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from domus.accounts import services
from domus.core.exceptions import DomusError, ValidationFailed
from domus.core.throttling import rate_limited_posts

FORGOT_DONE = gettext_lazy("If an active account has this address, a link to reset its password is on its way.")


def _errors(error: DomusError) -> list[str]:
    """The detail and field messages of a refused action, for the page."""
    messages = [str(error.detail)]
    for field_messages in (getattr(error, "errors", None) or {}).values():
        messages += [m for m in field_messages if m not in messages]
    return messages


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"accounts/pages/{template}", context, status=status)


def _link_page(
    request: HttpRequest, template: str, fields: tuple[str, ...], act: Callable[[dict[str, str]], str]
) -> HttpResponse:
    """The page of an e-mailed link: GET shows its form with the link's ``fields``; POST
    runs ``act`` on them and shows the message it answers, or the form again with why not."""
    data = request.POST if request.method == "POST" else request.GET
    context = {name: data.get(name, "") for name in fields}
    if request.method != "POST":
        return _page(request, template, context)
    try:
        message = act(context)
    except DomusError as error:
        return _page(request, template, {**context, "errors": _errors(error)}, status=400)
    return _page(request, "done.html", {"message": message})


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def activate(request: HttpRequest) -> HttpResponse:
    """A button that activates the account of the link (``username`` and ``token``)."""

    def act(link: dict[str, str]) -> str:
        services.user_activate(username=link["username"], token=link["token"])
        return _("Your account is active: you can log in now.")

    return _link_page(request, "activate.html", ("username", "token"), act)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def reset_password(request: HttpRequest) -> HttpResponse:
    """A form for the new password of the reset link's account (``token``)."""

    def act(link: dict[str, str]) -> str:
        password, again = request.POST.get("new_password", ""), request.POST.get("new_password_again", "")
        if password != again:
            raise ValidationFailed(_("The passwords differ."))
        services.password_reset(token=link["token"], new_password=password)
        return _("Your password is changed: log in with the new one.")

    return _link_page(request, "reset_password.html", ("token",), act)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def confirm_email(request: HttpRequest) -> HttpResponse:
    """A button that confirms the new e-mail address of the link (``token``)."""

    def act(link: dict[str, str]) -> str:
        user = services.email_change_confirm(token=link["token"])
        return _("Your account's e-mail address is now %(email)s.") % {"email": user.email}

    return _link_page(request, "confirm_email.html", ("token",), act)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def forgot_password(request: HttpRequest) -> HttpResponse:
    """A form asking for a reset link; the answer is the same whether the address has an
    account or not."""
    if request.method == "POST":
        services.password_forgot(email=request.POST.get("email", ""))
        return _page(request, "done.html", {"message": FORGOT_DONE})
    return _page(request, "forgot_password.html", {})
