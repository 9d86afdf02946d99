"""Leasing API."""

from ninja import Router

router = Router(tags=["leasing"])
