"""The facet roll-up: the public listings counted per combination of the facet
dimensions and price step, so the common facets (unfiltered, or by city, type,
bedrooms and price range) sum a few thousand rows instead of grouping every listing."""

from django.db import transaction

from domus.properties.models import FacetGroup, Listing
from domus.properties.selectors import facet_group_rows, public_listing_q

BATCH = 5000


@transaction.atomic
def facet_groups_rebuild() -> int:
    """Recount the roll-up from the public listings, replacing it as a whole (readers
    see the old one until the commit), and mark it built; the facets use it from then
    on. A derived table: not audited. Returns the number of groups."""
    rows = facet_group_rows(Listing.objects.filter(public_listing_q()), price_steps=True)
    FacetGroup.objects.all().delete()
    groups = [FacetGroup(**row) for row in rows.iterator(chunk_size=BATCH)]
    FacetGroup.objects.bulk_create(groups, batch_size=BATCH)
    return len(groups)
