"""Communications API."""

from ninja import Router

router = Router(tags=["communications"])
