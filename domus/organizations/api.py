"""Organizations API."""

from ninja import Router

router = Router(tags=["organizations"])
