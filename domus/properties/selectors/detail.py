"""One listing as its page shows it, read through SQL compiled once per visibility shape.

Building and compiling the listing's query and its features' prefetch was more than half
of a detail's CPU. The querysets are the ones ``first()`` and ``prefetch_related`` run
(``visible_listings``, so the visibility rule is the same code); they are compiled per
thread and connection for each shape (public, admin, or a user staff of N companies) by
``domus.core.compiled.ShapeQuery`` and each read binds the listing's, the user's and the
companies' ids: the same two statements, the same rows and model instances."""

from typing import Any
from uuid import UUID, uuid5

from django.db import connection
from django.db.models import Prefetch, QuerySet

from domus.core.compiled import ShapeQuery
from domus.core.exceptions import NotFound
from domus.properties.models import Feature, Listing
from domus.properties.selectors.visibility import listing_visible_to, visibility_of, visible_listings

_NAMESPACE = UUID("5e7c0a1d-0000-4000-8000-0000000de7a1")


def _detail_features() -> QuerySet[Feature]:
    """What a listing's page reads of its features (the web page shows their names)."""
    return Feature.objects.only("id", "slug", "name")


def _uuid_param(name: str, value: Any) -> Any:
    """Every value bound is a UUID key (the listing, the user, a company): as the driver
    takes it."""
    return Listing._meta.pk.get_db_prep_value(value, connection, prepared=False)


_SHAPES = ShapeQuery(_uuid_param, size=64)


def _first(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    """The query ``queryset.first()`` runs."""
    return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]


def _listing_queryset(admin: bool, values: dict[str, Any]) -> QuerySet[Listing]:
    companies = [value for name, value in values.items() if name.startswith("company:")]
    visible = visible_listings(admin=admin, user_id=values.get("user"), company_ids=companies)
    return _first(visible.filter(pk=values["pk"]))


def _features_queryset(values: dict[str, Any]) -> QuerySet[Feature]:
    """The features' prefetch of one listing, as ``prefetch_related`` makes it."""
    instance = Listing(pk=values["pk"])
    return instance.features.get_prefetch_querysets([instance], [_detail_features()])[0]


def _stand_ins(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return tuple({name: uuid5(_NAMESPACE, f"{name}:{which}") for name in values} for which in (0, 1))  # type: ignore[return-value]


def _compiled_read(actor: Any, listing_id: UUID) -> tuple[bool, Listing | None]:
    """(True, the listing or None) read through compiled SQL; (False, None) when the
    shape does not compile (the caller then runs the querysets)."""
    admin, user_id, company_ids = visibility_of(actor)
    values: dict[str, Any] = {"pk": listing_id}
    if user_id is not None:
        values["user"] = user_id
        values.update({f"company:{n}": pk for n, pk in enumerate(company_ids)})
    key = ("listing", admin, tuple(values), connection.vendor)
    rows = _SHAPES.get(key, lambda p: _listing_queryset(admin, p), lambda: _stand_ins(values))
    features = _SHAPES.get(("features", connection.vendor), _features_queryset, lambda: _stand_ins({"pk": None}))
    if rows is None or features is None:
        return False, None
    found = rows.objects(values)
    if not found:
        return True, None
    listing = found[0]
    # What the prefetch leaves, as a list: the page reads it as it is.
    listing._prefetched_objects_cache = {"features": features.objects({"pk": listing.pk})}
    return True, listing


def listing_get_for_actor(*, actor: Any, listing_id: UUID, compiled: bool = True) -> Listing:
    """The listing (its features prefetched) if ``actor`` may read it; the same 404
    whether it is missing, deleted or hidden from them. ``compiled=False`` runs the
    querysets themselves (what the compiled read is checked against)."""
    read = compiled and isinstance(listing_id, UUID)
    answered, listing = _compiled_read(actor, listing_id) if read else (False, None)
    if not answered:
        listing = (
            listing_visible_to(actor)
            .prefetch_related(Prefetch("features", queryset=_detail_features()))
            .filter(pk=listing_id)
            .first()
        )
    if listing is None:
        raise NotFound("Listing not found.")
    return listing
