"""What both peer apps share: the bearer token check, the visible listings, the
search, the caller's companies and the lead insert, written as a team would with
plain Django querysets."""

from typing import Any

import jwt
from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from peerapp.models import PUBLIC_STATUSES, Feature, Lead, Listing, ListingMedia, Membership, User

COMPANY_ROLES_THAT_KEEP_LEADS = {"owner", "admin", "manager", "staff", "agent"}


def user_from_token(token: str) -> User | None:
    """The active user of a valid access token (HS256, Domus' claims), with its profile."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub", "jti", "type"]},
        )
    except jwt.PyJWTError:
        return None
    if claims["type"] != "access":
        return None
    users = User.objects.select_related("profile").filter(deleted_at__isnull=True, is_active=True)
    return users.filter(pk=claims["sub"]).first()


def bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def public_listings() -> QuerySet[Listing]:
    return Listing.objects.filter(deleted_at__isnull=True, is_published=True, status__in=PUBLIC_STATUSES)


def listing_detail(listing_id: Any) -> Listing | None:
    features = Prefetch("features", queryset=Feature.objects.only("id", "slug"))
    return public_listings().prefetch_related(features).filter(pk=listing_id).first()


def listing_search(params: dict[str, Any]) -> QuerySet[Listing]:
    rows = public_listings()
    if params.get("city"):
        rows = rows.filter(city__iexact=params["city"])
    if params.get("listing_type"):
        rows = rows.filter(listing_type=params["listing_type"])
    if params.get("min_price") is not None:
        rows = rows.filter(price__gte=params["min_price"])
    if params.get("max_price") is not None:
        rows = rows.filter(price__lte=params["max_price"])
    ordering = params.get("ordering") or "-created_at"
    field = ordering.lstrip("-")
    if field not in {"created_at", "price"}:
        field = "created_at"
    descending = ordering.startswith("-")
    rows = rows.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")
    cover = ListingMedia.objects.filter(listing=OuterRef("pk"), is_cover=True).values("thumbnail")[:1]
    features = Prefetch("features", queryset=Feature.objects.only("id", "slug").order_by("slug"))
    return rows.defer("description").annotate(cover_thumbnail=Subquery(cover)).prefetch_related(features)


def companies(user: User) -> list[dict[str, Any]]:
    rows = Membership.objects.filter(
        user=user, is_active=True, status="accepted", company__deleted_at__isnull=True
    ).order_by("company__name", "company_id")
    return [{"id": c, "name": n, "role": r} for c, n, r in rows.values_list("company_id", "company__name", "role")]


def may_keep_leads(user: User, company_id: Any) -> bool:
    rows = Membership.objects.filter(user=user, company_id=company_id, is_active=True, status="accepted")
    return rows.filter(role__in=COMPANY_ROLES_THAT_KEEP_LEADS).exists()


def lead_create(data: dict[str, Any]) -> Lead:
    return Lead.objects.create(**data)
