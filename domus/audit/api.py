"""Audit API."""

from ninja import Router

router = Router(tags=["audit"])
