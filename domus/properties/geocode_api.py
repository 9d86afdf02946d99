"""Geocoding API of the listing portal."""

from ninja import Router

router = Router(tags=["properties"])
