"""Shapes of the ops API: health answers and the route reference."""

from datetime import datetime
from typing import Literal

from ninja import Schema


class HealthOut(Schema):
    status: Literal["ok"]
    version: str
    time: datetime


class ReadyOut(Schema):
    status: Literal["ok"]


class CheckOut(Schema):
    name: str
    status: Literal["ok", "down"]
    latency_ms: float
    detail: str


class HealthDetailsOut(Schema):
    status: Literal["ok", "down"]
    version: str
    time: datetime
    checks: list[CheckOut]


class RouteOut(Schema):
    method: str
    path: str
    alias_of: str | None
    permission: str
    summary: str
