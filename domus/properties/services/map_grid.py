"""The map roll-up: the public listings counted per cell of a fine grid, so low-zoom
map clusters sum a few thousand cells instead of grouping every listing."""

from uuid import UUID

from django.db import transaction
from django.db.models import CharField, Count, FloatField, Max, Min, Sum, Value
from django.db.models.functions import Cast, Floor

from domus.properties.models import Listing, MapGridCell
from domus.properties.selectors import MAP_GRID_ZOOM, map_cell_size, public_listing_q

BATCH = 5000


@transaction.atomic
def map_grid_rebuild() -> int:
    """Recount the grid from the public listings, replacing it as a whole (readers see
    the old grid until the commit), and mark it built; the map uses it from then on.
    A derived table: not audited. Returns the number of cells."""
    cell = map_cell_size(MAP_GRID_ZOOM)
    latitude, longitude = Cast("latitude", FloatField()), Cast("longitude", FloatField())
    rows = (
        Listing.objects.filter(public_listing_q(), latitude__isnull=False, longitude__isnull=False)
        .annotate(cell_x=Floor(longitude / Value(cell)), cell_y=Floor(latitude / Value(cell)))
        .values("cell_x", "cell_y")
        .annotate(
            count=Count("*"),
            latitude_sum=Sum(latitude),
            longitude_sum=Sum(longitude),
            min_price=Min("price"),
            max_price=Max("price"),
            any_id=Min(Cast("id", CharField())),
        )
        .order_by()
    )
    MapGridCell.objects.all().delete()
    cells = [
        MapGridCell(
            cell_x=int(row["cell_x"]),
            cell_y=int(row["cell_y"]),
            count=row["count"],
            latitude_sum=row["latitude_sum"],
            longitude_sum=row["longitude_sum"],
            min_price=row["min_price"],
            max_price=row["max_price"],
            listing_id=UUID(row["any_id"]) if row["count"] == 1 else None,
        )
        for row in rows.iterator(chunk_size=BATCH)
    ]
    MapGridCell.objects.bulk_create(cells, batch_size=BATCH)
    return len(cells)
