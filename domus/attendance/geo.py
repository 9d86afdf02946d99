"""Geometry of a punch: distance, geofence decision with GPS accuracy, a place's time zone.

Pure functions (no database): the services feed them plain numbers."""

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shapely.geometry import Point, Polygon

EARTH_RADIUS_M = 6_371_008.8

INSIDE = "inside"
UNCERTAIN = "uncertain"
OUTSIDE = "outside"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Fence:
    """A circle (``lat``, ``lon``, ``radius_m``) or a polygon (``points``: ``[(lat, lon), ...]``)."""

    name: str
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    points: tuple[tuple[float, float], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        if self.points:
            return {"name": self.name, "kind": "POLYGON", "polygon": [list(p) for p in self.points]}
        return {"name": self.name, "kind": "CIRCLE", "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}


def signed_distance_m(fence: Fence, lat: float, lon: float) -> float:
    """Metres from the point to the fence's edge: negative inside, positive outside."""
    if not fence.points:
        return haversine_m(lat, lon, fence.lat, fence.lon) - float(fence.radius_m or 0)
    # A local equirectangular projection around the point: metres, exact enough for a site.
    scale_x = math.cos(math.radians(lat)) * math.pi * EARTH_RADIUS_M / 180
    scale_y = math.pi * EARTH_RADIUS_M / 180
    polygon = Polygon([((plon - lon) * scale_x, (plat - lat) * scale_y) for plat, plon in fence.points])
    origin = Point(0.0, 0.0)
    if polygon.contains(origin):
        return -polygon.exterior.distance(origin)
    return polygon.distance(origin)


@dataclass(frozen=True)
class FenceDecision:
    result: str  # INSIDE, UNCERTAIN or OUTSIDE
    distance_m: float | None  # to the nearest fence's edge, negative inside
    fence: dict[str, Any] | None

    def as_dict(self, accuracy: float | None) -> dict[str, Any]:
        return {
            "result": self.result,
            "distance_m": None if self.distance_m is None else round(self.distance_m, 1),
            "accuracy_m": accuracy,
            "fence": self.fence,
        }


def fence_decide(fences: list[Fence], lat: float, lon: float, accuracy: float | None) -> FenceDecision:
    """Inside when the whole accuracy circle lies inside a fence; outside when all of it
    lies outside every fence; uncertain otherwise. No fence at all is outside (never a
    silent accept)."""
    if not fences:
        return FenceDecision(OUTSIDE, None, None)
    margin = float(accuracy or 0.0)
    best = min(((signed_distance_m(f, lat, lon), f) for f in fences), key=lambda pair: pair[0])
    distance, fence = best
    if distance + margin <= 0:
        result = INSIDE
    elif distance - margin > 0:
        result = OUTSIDE
    else:
        result = UNCERTAIN
    return FenceDecision(result, distance, fence.as_dict())


@lru_cache(maxsize=1)
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


@lru_cache(maxsize=4096)
def time_zone_at(lat: float, lon: float) -> str | None:
    """The IANA time zone at a point (offline, ``timezonefinder``), or ``None`` at sea."""
    return _finder().timezone_at(lng=lon, lat=lat)
