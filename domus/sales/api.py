"""Sales API."""

from ninja import Router

router = Router(tags=["sales"])
