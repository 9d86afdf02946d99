"""The public pages: home, search (list, facets and map), a listing, and the actions a
visitor takes from it (favorite, book a viewing, make an offer)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from domus.accounts.selectors import agent_profile_visible_to
from domus.core.exceptions import DomusError
from domus.core.filtering import ListFilters
from domus.properties import selectors as listings
from domus.properties.pagination import PageByIds
from domus.properties.schemas import ListingFilters
from domus.properties.selectors.favorites import favorite_of
from domus.properties.selectors.media import media_list_for_listing
from domus.properties.selectors.visits import visit_free_slots
from domus.properties.services.favorites import favorite_add, favorite_remove
from domus.properties.services.visits import visit_create
from domus.sales.services import offer_create
from domus.web.forms import SearchForm, ViewingForm
from domus.web.views.common import actor, member_page, messages_of, page

FEATURES_SHOWN = 16
SIMILAR_SHOWN = 4


def _features() -> list[tuple[str, str]]:
    return [(f.slug, f.name) for f in listings.feature_list(filters=ListFilters())[:FEATURES_SHOWN]]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    newest = list(listings.listing_list_for_actor(actor=None, filters=ListingFilters())[:6])
    return render(request, "web/home.html", {"form": SearchForm(features=_features()), "newest": newest})


def _bbox_of(rows: list[Any]) -> str:
    """The box around the listings of a page, for the map's first view."""
    points = [(float(r.longitude), float(r.latitude)) for r in rows if r.latitude is not None]
    if not points:
        return ""
    lngs, lats = [p[0] for p in points], [p[1] for p in points]
    return f"{min(lngs):.5f},{min(lats):.5f},{max(lngs):.5f},{max(lats):.5f}"


def _search(request: HttpRequest, form: SearchForm) -> dict[str, Any]:
    """The page of results, its count and the facets for the form's filters."""
    size = settings.WEB_PAGE_SIZE
    if not form.is_valid():
        return {"results": [], "count": 0, "facets": None, "page": 1, "pages": 0}
    filters = form.filters()
    number = form.cleaned_data.get("page") or 1
    number = min(number, max(1, listings.result_depth_limit(filters) // size))
    try:
        found = listings.listing_search_for_actor(actor=actor(request), filters=filters)
        count = found.count if found.count is not None else listings.listing_count(found.rows)
        results = PageByIds(found)[(number - 1) * size : number * size]
        facets = listings.listing_facets_first_for_actor(
            actor=actor(request), filters=filters, first=settings.WEB_FACETS_COUNT_UP_TO
        )
    except DomusError as error:
        for message in messages_of(error):
            form.add_error(None, message)
        return {"results": [], "count": 0, "facets": None, "page": 1, "pages": 0}
    deepest = listings.result_depth_limit(filters) // size
    pages = min(deepest, (count + size - 1) // size)
    return {"results": results, "count": count, "facets": facets, "page": number, "pages": pages}


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The search page; an htmx request (a filter changed, the map moved, another
    page) gets the results part alone."""
    form = SearchForm(request.GET, features=_features())
    context = {"form": form, **_search(request, form)}
    map_query = request.GET.copy()
    for key in ("bbox", "page", "sort"):
        map_query.pop(key, None)
    if "q" in map_query:
        map_query["search"] = map_query.pop("q")[-1]
    if map_query.getlist("features"):
        map_query["features"] = ",".join(map_query.getlist("features"))
    context.update(
        map_query=map_query.urlencode(),
        bbox=request.GET.get("bbox") or _bbox_of(context["results"]),
        tile_url=settings.WEB_MAP_TILE_URL,
        tile_attribution=settings.WEB_MAP_TILE_ATTRIBUTION,
    )
    template = "web/listings/_results.html" if request.htmx else "web/listings/search.html"
    return render(request, template, context)


def _price_chart(listing: Any, changes: list[Any]) -> dict[str, Any] | None:
    """The price history as the points of an inline SVG polyline (600 x 160): the price
    the listing started at, then each change."""
    series = [(c.changed_at, float(c.new_price)) for c in changes]
    if changes and changes[0].old_price is not None:
        series.insert(0, (min(listing.created_at, changes[0].changed_at), float(changes[0].old_price)))
    if len(series) < 2:
        return None
    width, height, pad = 600, 160, 10
    prices = [price for _, price in series]
    low, high = min(prices), max(prices)
    first, last = series[0][0], series[-1][0]
    span = max((last - first).total_seconds(), 1)
    points = []
    for moment, price in series:
        x = pad + (width - 2 * pad) * (moment - first).total_seconds() / span
        y = height - pad - (height - 2 * pad) * ((price - low) / (high - low) if high > low else 0.5)
        points.append(f"{x:.1f},{y:.1f}")
    return {"points": " ".join(points), "width": width, "height": height, "low": low, "high": high}


@require_GET
@page
def listing_detail(request: HttpRequest, listing_id: UUID) -> HttpResponse:
    who = actor(request)
    listing = listings.listing_get_for_actor(actor=who, listing_id=listing_id)
    photos = [m for m in media_list_for_listing(listing=listing) if m.kind == "image"]
    changes = list(listings.price_history_for_listing(listing=listing).order_by("changed_at"))
    similar_filters = ListingFilters(
        property_type=listing.property_type, listing_type=listing.listing_type, city=listing.city or None
    )
    similar = [
        row
        for row in listings.listing_list_for_actor(actor=None, filters=similar_filters)[: SIMILAR_SHOWN + 1]
        if row.pk != listing.pk
    ][:SIMILAR_SHOWN]
    context = {
        "listing": listing,
        "photos": photos,
        "changes": changes,
        "chart": _price_chart(listing, changes),
        "similar": similar,
        "slots": visit_free_slots(listing=listing, days=7)[:24],
        "agent_profile": agent_profile_visible_to(who).filter(user_id=listing.agent_id).first()
        if listing.agent_id
        else None,
        "favorite": who is not None and favorite_of(actor=who, listing=listing) is not None,
        "viewing_form": ViewingForm(),
        "share_url": request.build_absolute_uri(reverse("web-listing", args=[listing.pk])),
        "tile_url": settings.WEB_MAP_TILE_URL,
        "tile_attribution": settings.WEB_MAP_TILE_ATTRIBUTION,
    }
    return render(request, "web/listings/detail.html", context)


@require_POST
@member_page
def favorite_toggle(request: HttpRequest, listing_id: UUID) -> HttpResponse:
    listing = listings.listing_get_for_actor(actor=request.user, listing_id=listing_id)
    if favorite_of(actor=request.user, listing=listing) is None:
        favorite_add(actor=request.user, listing=listing)
        saved = True
    else:
        favorite_remove(actor=request.user, listing=listing)
        saved = False
    if request.htmx:
        return render(request, "web/listings/_favorite.html", {"listing": listing, "favorite": saved})
    return redirect("web-listing", listing_id=listing.pk)


@require_POST
@member_page
def viewing_book(request: HttpRequest, listing_id: UUID) -> HttpResponse:
    listing = listings.listing_get_for_actor(actor=request.user, listing_id=listing_id)
    form = ViewingForm(request.POST)
    if form.is_valid():
        starts_at = form.cleaned_data["slot"]
        if timezone.is_naive(starts_at):
            starts_at = timezone.make_aware(starts_at)
        try:
            visit_create(
                actor=request.user,
                listing_id=listing.pk,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                note=form.cleaned_data["note"],
            )
        except DomusError as error:
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("Your viewing is requested. The agent will confirm it."))
            return redirect("web-viewings")
    else:
        messages.error(request, _("Choose a time for the viewing."))
    return redirect(reverse("web-listing", args=[listing.pk]) + "#viewing")


@require_POST
@member_page
def offer_make(request: HttpRequest, listing_id: UUID) -> HttpResponse:
    listing = listings.listing_get_for_actor(actor=request.user, listing_id=listing_id)
    try:
        amount = Decimal(request.POST.get("amount", "").replace(",", "").strip())
    except ArithmeticError:
        amount = None
    if amount is None or amount <= 0:
        messages.error(request, _("Give the amount you offer."))
        return redirect(reverse("web-listing", args=[listing.pk]) + "#offer")
    try:
        offer_create(
            actor=request.user, listing_id=listing.pk, amount=amount, conditions=request.POST.get("conditions", "")
        )
    except DomusError as error:
        for message in messages_of(error):
            messages.error(request, message)
        return redirect(reverse("web-listing", args=[listing.pk]) + "#offer")
    messages.success(request, _("Your offer is sent to the agent."))
    return redirect("web-offers")
