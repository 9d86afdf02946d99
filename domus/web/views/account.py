"""The account pages: sign up, log in and out (a Django session, with the API's
lockout and ``auth`` rate limit), and a signed-in person's own lists: favorites, saved
searches, viewings and offers. Activation, password reset and e-mail confirmation are
the account app's pages under ``/account/`` (the links of its e-mails)."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from domus.accounts import services as accounts
from domus.accounts.services.profiles import profile_write_for
from domus.communications.selectors import preference_for
from domus.communications.services import preference_save
from domus.core.exceptions import DomusError
from domus.core.filtering import ListFilters
from domus.core.throttling import rate_limited_posts
from domus.properties.schemas import VisitFilters
from domus.properties.selectors.favorites import favorite_listings_for_actor
from domus.properties.selectors.saved_searches import saved_search_get_for_actor, saved_search_list_for_actor
from domus.properties.selectors.visits import visit_list_for_actor
from domus.properties.services.saved_searches import saved_search_create, saved_search_delete
from domus.sales.schemas import OfferFilters
from domus.sales.selectors import offer_list_for_actor
from domus.web.forms import CHANNELS, LoginForm, PreferencesForm, SignupForm
from domus.web.views.common import member_page, messages_of

LIST_LIMIT = 100
SEARCH_KEYS = ("q", "listing_type", "property_type", "city", "min_price", "max_price", "min_bedrooms", "features")


def _next(request: HttpRequest, default: str = "web-account") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def login_page(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.session_login(
                identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"]
            )
        except DomusError as error:
            for message in messages_of(error):
                form.add_error(None, message)
        else:
            login(request, user, backend="domus.accounts.backends.EmailOrUsernameBackend")
            return redirect(_next(request))
    status = 400 if form.errors else 200
    return render(request, "web/account/login.html", {"form": form, "next": _next(request)}, status=status)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("web-home")


@require_http_methods(["GET", "POST"])
@rate_limited_posts("auth")
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.user_register(
                email=data["email"],
                password=data["password"],
                password_confirm=data["password_confirm"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
            )
        except DomusError as error:
            for field, field_messages in (error.errors or {}).items():
                target = field if field in form.fields else None
                for message in field_messages:
                    form.add_error(target, str(message))
            if not error.errors:
                form.add_error(None, str(error.detail))
        else:
            # The same answer whether the address was new or not (accounts.user_register).
            return render(request, "web/account/signup_done.html", {"email": data["email"]})
    status = 400 if form.errors else 200
    return render(request, "web/account/signup.html", {"form": form}, status=status)


@member_page
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "web/account/home.html", {})


@member_page
def favorites(request: HttpRequest) -> HttpResponse:
    rows = list(favorite_listings_for_actor(actor=request.user)[:LIST_LIMIT])
    return render(request, "web/account/favorites.html", {"results": rows})


@member_page
def viewings(request: HttpRequest) -> HttpResponse:
    rows = visit_list_for_actor(actor=request.user, filters=VisitFilters()).select_related("listing")[:LIST_LIMIT]
    return render(request, "web/account/viewings.html", {"visits": rows})


@member_page
def offers(request: HttpRequest) -> HttpResponse:
    rows = offer_list_for_actor(actor=request.user, filters=OfferFilters()).select_related("listing")[:LIST_LIMIT]
    return render(request, "web/account/offers.html", {"offers": rows})


@require_http_methods(["GET", "POST"])
@member_page
def saved_searches(request: HttpRequest) -> HttpResponse:
    """The saved searches; a POST saves the search of the results page it came from."""
    if request.method == "POST":
        filters = {key: request.POST.get(key) for key in SEARCH_KEYS if request.POST.get(key)}
        if "q" in filters:
            filters["search"] = filters.pop("q")
        try:
            saved_search_create(
                actor=request.user,
                name=(request.POST.get("name") or _("My search"))[:100],
                filters=filters,
                alert_frequency=request.POST.get("alert_frequency") or "daily",
            )
        except DomusError as error:
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("Search saved: we will tell you about new matches."))
        return redirect("web-saved-searches")
    rows = saved_search_list_for_actor(actor=request.user, filters=ListFilters())[:LIST_LIMIT]
    return render(request, "web/account/saved_searches.html", {"searches": rows})


@require_POST
@member_page
def saved_search_remove(request: HttpRequest, saved_search_id: UUID) -> HttpResponse:
    search = saved_search_get_for_actor(actor=request.user, saved_search_id=saved_search_id)
    saved_search_delete(actor=request.user, saved_search=search)
    messages.info(request, _("Saved search removed."))
    return redirect("web-saved-searches")


@require_http_methods(["GET", "POST"])
@member_page
def preferences(request: HttpRequest) -> HttpResponse:
    """Language, time zone, the channels to be told by, quiet hours: the communication
    preferences (and the profile's language and zone, which the e-mails follow)."""
    saved = preference_for(request.user)
    initial = {
        "language": saved.language,
        "timezone": saved.timezone,
        "channels": [code for code, _label in CHANNELS if getattr(saved, f"{code}_enabled")],
        "quiet_hours_start": saved.quiet_hours_start,
        "quiet_hours_end": saved.quiet_hours_end,
        "marketing_consent": saved.marketing_consent,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            preference_save(
                actor=request.user,
                channels=data["channels"],
                language=data["language"],
                timezone=data["timezone"],
                quiet_hours_start=data["quiet_hours_start"],
                quiet_hours_end=data["quiet_hours_end"],
                marketing_consent=data["marketing_consent"],
            )
            profile_write_for(
                actor=request.user,
                user=request.user,
                fields={"language": data["language"], "timezone": data["timezone"]},
            )
        except DomusError as error:
            for message in messages_of(error):
                form.add_error(None, message)
        else:
            response = redirect("web-preferences")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, data["language"], samesite="Lax")
            messages.success(request, _("Your preferences are saved."))
            return response
    return render(request, "web/account/preferences.html", {"form": form}, status=400 if form.errors else 200)
