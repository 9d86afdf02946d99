"""The small server-rendered account pages the account e-mails link to: activate an
account, choose a new password, confirm a new e-mail address, ask for a reset link.

Each page shows a form; only its POST acts (through the same services as the API), so
a mail scanner that opens the link activates or confirms nothing. POSTs share the API's
``auth`` rate limit."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from domus.accounts import services
from domus.core.exceptions import DomusError
from domus.core.throttling import rate_limited_posts

FORGOT_DONE = "If an active account has this address, a link to reset its password is on its way."


def _errors(error: DomusError) -> list[str]:
    """The detail and field messages of a refused action, for the page."""
    messages = [str(error.detail)]
    for field_messages in (getattr(error, "errors", None) or {}).values():
        messages += [m for m in field_messages if m not in messages]
    return messages


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"accounts/pages/{template}", context, status=status)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def activate(request: HttpRequest) -> HttpResponse:
    """A button that activates the account of the link (``username`` and ``token``)."""
    data = request.POST if request.method == "POST" else request.GET
    context = {"username": data.get("username", ""), "token": data.get("token", "")}
    if request.method == "POST":
        try:
            services.user_activate(username=context["username"], token=context["token"])
        except DomusError as error:
            return _page(request, "activate.html", {**context, "errors": _errors(error)}, status=400)
        return _page(request, "done.html", {"message": "Your account is active: you can log in now."})
    return _page(request, "activate.html", context)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def reset_password(request: HttpRequest) -> HttpResponse:
    """A form for the new password of the reset link's account (``token``)."""
    data = request.POST if request.method == "POST" else request.GET
    context = {"token": data.get("token", "")}
    if request.method == "POST":
        password, again = request.POST.get("new_password", ""), request.POST.get("new_password_again", "")
        if password != again:
            return _page(request, "reset_password.html", {**context, "errors": ["The passwords differ."]}, 400)
        try:
            services.password_reset(token=context["token"], new_password=password)
        except DomusError as error:
            return _page(request, "reset_password.html", {**context, "errors": _errors(error)}, status=400)
        return _page(request, "done.html", {"message": "Your password is changed: log in with the new one."})
    return _page(request, "reset_password.html", context)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def confirm_email(request: HttpRequest) -> HttpResponse:
    """A button that confirms the new e-mail address of the link (``token``)."""
    data = request.POST if request.method == "POST" else request.GET
    context = {"token": data.get("token", "")}
    if request.method == "POST":
        try:
            user = services.email_change_confirm(token=context["token"])
        except DomusError as error:
            return _page(request, "confirm_email.html", {**context, "errors": _errors(error)}, status=400)
        return _page(request, "done.html", {"message": f"Your account's e-mail address is now {user.email}."})
    return _page(request, "confirm_email.html", context)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def forgot_password(request: HttpRequest) -> HttpResponse:
    """A form asking for a reset link; the answer is the same whether the address has an
    account or not."""
    if request.method == "POST":
        services.password_forgot(email=request.POST.get("email", ""))
        return _page(request, "done.html", {"message": FORGOT_DONE})
    return _page(request, "forgot_password.html", {})
