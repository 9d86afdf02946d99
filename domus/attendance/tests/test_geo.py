"""The geofence decision at its boundary, with and without GPS accuracy."""

import pytest

from domus.attendance import geo

CENTRE = (-1.286389, 36.817223)
CIRCLE = geo.Fence(name="office", lat=CENTRE[0], lon=CENTRE[1], radius_m=100)
METRE_LAT = 1 / 111_195  # degrees of latitude per metre


def north(metres: float) -> tuple[float, float]:
    return CENTRE[0] + metres * METRE_LAT, CENTRE[1]


@pytest.mark.once
@pytest.mark.parametrize(
    ("metres", "accuracy", "result"),
    [
        (99, None, geo.INSIDE),  # just inside, exact position
        (101, None, geo.OUTSIDE),  # just outside, exact position
        (99, 0, geo.INSIDE),
        (60, 30, geo.INSIDE),  # the whole accuracy circle inside
        (90, 30, geo.UNCERTAIN),  # inside, but the accuracy circle crosses the edge
        (110, 30, geo.UNCERTAIN),  # outside, but within the accuracy: "outside but uncertain"
        (140, 30, geo.OUTSIDE),  # outside even with the accuracy
    ],
)
def test_circle_boundary(metres, accuracy, result):
    assert geo.fence_decide([CIRCLE], *north(metres), accuracy).result == result


@pytest.mark.once
def test_polygon_fence_and_no_fence():
    square = geo.Fence(
        name="site",
        points=((-1.2868, 36.8168), (-1.2868, 36.8177), (-1.2859, 36.8177), (-1.2859, 36.8168)),
    )
    inside = geo.fence_decide([square], -1.28635, 36.81725, 5)
    assert inside.result == geo.INSIDE
    assert inside.distance_m < 0
    assert geo.fence_decide([square], -1.2900, 36.8172, 5).result == geo.OUTSIDE
    assert geo.fence_decide([square], -1.28582, 36.81725, 20).result == geo.UNCERTAIN  # ~9 m outside
    assert geo.fence_decide([], *CENTRE, 5).result == geo.OUTSIDE  # no fence is never a silent accept


@pytest.mark.once
def test_haversine_and_time_zone():
    assert geo.haversine_m(*CENTRE, *north(1000)) == pytest.approx(1000, rel=1e-3)
    assert geo.time_zone_at(*CENTRE) == "Africa/Nairobi"
