"""What every page view shares: who is asking, and the refusals of the services turned
into what a page shows (a form error, the friendly 404 or 403, the login page)."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from domus.core.exceptions import DomusError, NotFound, PermissionDenied

View = Callable[..., HttpResponse]


def actor(request: HttpRequest) -> Any:
    """The signed-in user, or None for a visitor (what the selectors take as anonymous)."""
    return request.user if request.user.is_authenticated else None


def messages_of(error: DomusError) -> list[str]:
    """The detail and field messages of a refused action, each once, for the page."""
    messages = [str(error.detail)]
    for field_messages in (getattr(error, "errors", None) or {}).values():
        messages += [str(m) for m in field_messages if str(m) not in messages]
    return messages


def page(view: View) -> View:
    """A page view: a NotFound from a selector is the friendly 404 page, a
    PermissionDenied the 403 page (the same answers as the API's)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error.detail)) from error
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.detail)) from error

    return wrapped


def member_page(view: View) -> View:
    """A page for signed-in people: visitors are sent to the login page and back."""
    return login_required(page(view))
