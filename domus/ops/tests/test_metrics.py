"""Runtime and Celery metrics, and /metrics: route templates (never ids) as labels,
percentiles from the histogram, admins only, the token or an allowed network."""

import re
import uuid

import pytest
from django.test import Client

from domus.ops import performance
from domus.ops.metrics import REQUESTS
from domus.sales.tasks import offers_expire

RUNTIME = "/api/v1/ops/performance/runtime/"


def _count(route: str) -> float:
    return sum(
        s.value
        for family in REQUESTS.collect()
        for s in family.samples
        if s.name == "domus_http_requests_total" and s.labels["route"] == route
    )


def test_requests_are_counted_per_route_template_never_per_id(admin_client):
    route = "api/v1/properties/<listing_id>/"
    before = _count(route)
    for _ in range(3):
        admin_client.get(f"/api/v1/properties/{uuid.uuid4()}/")

    assert _count(route) - before == 3
    body = admin_client.get(RUNTIME).json()
    rows = [r for r in body["routes"] if r["route"] == route]
    assert rows
    assert rows[0]["requests"] >= 3
    assert rows[0]["client_error_rate"] > 0
    assert not any(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", r["route"]) for r in body["routes"])
    assert rows[0]["p95_ms"] is not None
    assert "web" in {worker["kind"] for worker in body["workers"]}


def test_percentiles_interpolate_within_buckets():
    buckets = [(0.1, 50.0), (0.2, 90.0), (0.5, 100.0), (float("inf"), 100.0)]
    assert performance.quantile(0.5, buckets) == 0.1
    assert performance.quantile(0.7, buckets) == pytest.approx(0.15)
    assert performance.quantile(0.95, buckets) == pytest.approx(0.35)
    assert performance.quantile(0.5, []) is None


def test_runtime_and_celery_are_for_admins(user_client):
    assert user_client.get(RUNTIME).status_code == 403
    assert user_client.get("/api/v1/ops/performance/celery/").status_code == 403


def test_celery_counts_task_outcomes(admin_client, db):
    before = {r["task"]: r for r in performance.celery()["tasks"]}.get("domus.sales.tasks.offers_expire")
    offers_expire.delay()

    body = admin_client.get("/api/v1/ops/performance/celery/").json()

    row = {r["task"]: r for r in body["tasks"]}["domus.sales.tasks.offers_expire"]
    assert row["succeeded"] == (before["succeeded"] if before else 0) + 1
    assert row["failure_rate"] == 0.0
    assert body["eager"] is True
    assert body["workers"] == []
    assert [q["name"] for q in body["queues"]] == ["celery"]


def test_metrics_answers_a_token_or_an_allowed_network(settings):
    settings.METRICS_TOKEN = "s3cret"
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    outside = Client(REMOTE_ADDR="192.0.2.7")
    inside = Client(REMOTE_ADDR="10.1.2.3")

    assert outside.get("/metrics").status_code == 403
    assert outside.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    answer = outside.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert answer.status_code == 200
    assert b"domus_http_requests_total" in answer.content
    assert inside.get("/metrics").status_code == 200
