"""Analytics API: dashboards, stats and reports."""

from ninja import Router

router = Router(tags=["analytics"])
