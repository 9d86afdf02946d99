"""Saving and unsaving listings. Both are idempotent; a user saves a listing once
(unique constraint)."""

from typing import Any

from django.db import IntegrityError, transaction

from domus.audit.services import audit_create, audit_record
from domus.properties.models import Favorite, Listing
from domus.properties.selectors.favorites import favorite_of


@transaction.atomic
def favorite_add(*, actor: Any, listing: Listing) -> tuple[Favorite, bool]:
    """Save ``listing`` for ``actor``; answers the favorite and whether it is new."""
    existing = favorite_of(actor=actor, listing=listing)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            favorite = Favorite.objects.create(user=actor, listing=listing)
    except IntegrityError:
        # A concurrent request of the same user saved it first.
        return favorite_of(actor=actor, listing=listing), False
    audit_create(actor=actor, instance=favorite)
    return favorite, True


@transaction.atomic
def favorite_remove(*, actor: Any, listing: Listing) -> None:
    """Unsave ``listing`` for ``actor`` (nothing happens when it was not saved)."""
    favorite = favorite_of(actor=actor, listing=listing)
    if favorite is None:
        return
    favorite_id = favorite.pk
    favorite.delete()
    audit_record(
        actor=actor,
        action="delete",
        resource_type=Favorite._meta.label_lower,
        resource_id=favorite_id,
        changes={"listing": {"before": str(listing.pk), "after": None}},
    )
