"""Ops API: liveness and readiness for orchestrators and admins, and the route
reference of the API."""

from django.http import HttpRequest
from ninja import Router, Status

from domus.core.errors import ErrorOut
from domus.core.exceptions import NotFound, ServiceUnavailable
from domus.core.policies import is_admin, require
from domus.core.route_table import route_table, routes_under
from domus.core.routing import CANONICAL_PREFIX
from domus.ops import health
from domus.ops.schemas import HealthDetailsOut, HealthOut, ReadyOut, RouteOut

router = Router(tags=["ops"])


# throttle=[] (not the default NOT_SET) keeps the API-wide read limit off the probes:
# probes call them often, and the limiter's cache may be the very thing that is down.
@router.get(
    "/health/",
    auth=None,
    throttle=[],
    response=HealthOut,
    summary="Liveness: the process answers (touches no database, cache or broker)",
)
def health_live(request: HttpRequest):
    return health.liveness()


@router.get(
    "/health/ready/",
    auth=None,
    throttle=[],
    response={200: ReadyOut, 503: ErrorOut},
    summary="Readiness probe: the database and the cache answer (503 without details when one does not)",
)
def health_ready(request: HttpRequest):
    if not health.ready():
        raise ServiceUnavailable("Not ready.")
    return {"status": health.OK}


@router.get(
    "/health/details/",
    throttle=[],
    response={200: HealthDetailsOut, 503: HealthDetailsOut, 401: ErrorOut, 403: ErrorOut},
    summary="Details: database, cache, Celery broker and storage, each with status and latency (503 if one is down)",
    openapi_extra={"x-permission": "admin"},
)
def health_details(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins can read the health details.")
    report = health.readiness()
    return Status(200 if report["status"] == health.OK else 503, report)


@router.get(
    "/routes/{app}/",
    auth=None,
    response={200: list[RouteOut], 404: ErrorOut, 429: ErrorOut},
    summary="The API routes of one app (canonical paths and the original systems' aliases), as in docs/API_ROUTES.md",
)
def route_list(request: HttpRequest, app: str):
    prefix = f"{CANONICAL_PREFIX}{app}/"
    rows = routes_under(prefix, route_table())
    if not rows:
        raise NotFound(f"No API routes under {prefix}.")
    return rows
