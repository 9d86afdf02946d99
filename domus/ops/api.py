"""Ops API."""

from ninja import Router

router = Router(tags=["ops"])
