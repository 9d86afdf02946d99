"""Listings API."""

from ninja import Router

router = Router(tags=["properties"])
