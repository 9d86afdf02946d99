"""``performance/runtime`` and ``performance/celery`` (platform admins), and the
Prometheus ``/metrics`` endpoint (a token or an allowed network)."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router
from prometheus_client import CONTENT_TYPE_LATEST

from domus.core.errors import ErrorOut, error_response
from domus.core.policies import is_admin, require
from domus.ops import metrics, performance
from domus.ops.performance_schemas import CeleryOut, RuntimeOut

router = Router(tags=["ops"])


@router.get(
    "/performance/runtime/",
    response={200: RuntimeOut, 401: ErrorOut, 403: ErrorOut},
    summary="Runtime: request latency percentiles, throughput and error rates per route, worker heartbeats",
    description=(
        "From the Prometheus metrics of every worker process (PROMETHEUS_MULTIPROC_DIR) or of this one. "
        "Routes are URL templates, never paths with ids. Platform admins only."
    ),
    openapi_extra={"x-permission": "admin"},
)
def performance_runtime(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins can read the runtime metrics.")
    return performance.runtime()


@router.get(
    "/performance/celery/",
    response={200: CeleryOut, 401: ErrorOut, 403: ErrorOut},
    summary="Celery: queue depth, workers online, task rates and failures",
    description="Queue depth from the broker, workers from a ping, task outcomes from the workers' metrics. "
    "Platform admins only.",
    openapi_extra={"x-permission": "admin"},
)
def performance_celery(request: HttpRequest):
    require(is_admin(request.auth), "Only platform admins can read the Celery metrics.")
    return performance.celery()


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition of every worker's metrics (``GET /metrics``)."""
    if request.method not in ("GET", "HEAD"):
        return error_response(405, "Use GET.")
    if not _allowed(request):
        return error_response(403, "Send the metrics token, or scrape from an allowed network.")
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
