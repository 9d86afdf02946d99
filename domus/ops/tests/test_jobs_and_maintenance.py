"""Jobs: who sees which (admin all, staff their company's, everyone their own), cancel,
progress frames pushed to the starter's ml/stream group and coalesced; database plan
and optimize (admins only; 409 on SQLite; run on PostgreSQL); search reindex."""

import pytest
from django.apps import apps
from django.db import connection

from domus.ops.services import jobs
from domus.ops.services.jobs import Progress, job_kind_register, job_start
from domus.ops.services.reindex import REINDEX_TARGETS, reindex_start, reindex_target_register

Job = apps.get_model("ops", "Job")
JOBS = "/api/v1/ops/jobs/"
PLAN = "/api/v1/ops/database/plan/"
OPTIMIZE = "/api/v1/ops/database/optimize/"
REINDEX = "/api/v1/ops/search/reindex/"


def counting_run(job, progress: Progress) -> dict:
    progress.set_total(5)
    for _ in range(5):
        progress.advance()
    return {"counted": 5}


job_kind_register("test.count", run="domus.ops.tests.test_jobs_and_maintenance:counting_run")


def test_job_scoping(client_for, staff, other_staff, company, other_company, agent, admin_user):
    mine = job_start(kind="test.count", actor=agent, company_id=company.pk)
    theirs = job_start(kind="test.count", actor=other_staff, company_id=other_company.pk)
    # the starter sees their own; staff see their company's; nobody sees another company's
    assert [row["id"] for row in client_for(agent).get(JOBS).json()["results"]] == [str(mine.pk)]
    assert [row["id"] for row in client_for(staff).get(JOBS).json()["results"]] == [str(mine.pk)]
    assert client_for(staff).get(f"{JOBS}{theirs.pk}/").status_code == 404
    assert client_for(other_staff).get(f"{JOBS}{mine.pk}/").status_code == 404
    assert client_for(admin_user).get(JOBS).json()["count"] == 2
    response = client_for(staff).post(f"{JOBS}{theirs.pk}/cancel/")
    assert response.status_code == 404
    assert Job.objects.get(pk=theirs.pk).status == "queued"


def test_cancel_a_queued_job_then_409(client_for, agent, company):
    job = job_start(kind="test.count", actor=agent, company_id=company.pk)  # on_commit never runs here
    response = client_for(agent).post(f"{JOBS}{job.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert jobs.job_run(job_id=job.pk) is None  # a cancelled job never starts
    assert client_for(agent).post(f"{JOBS}{job.pk}/cancel/").status_code == 409


def test_a_running_job_stops_at_its_next_report(agent, company):
    job = job_start(kind="test.count", actor=agent, company_id=company.pk)
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    assert jobs.job_run(job_id=job.pk).status == "cancelled"


def test_progress_frames_go_to_the_starter_and_are_coalesced(agent, company, monkeypatch):
    frames = []
    monkeypatch.setattr(
        "domus.communications.realtime.send_now", lambda group, payload: frames.append((group, payload))
    )
    job = job_start(kind="test.count", actor=agent, company_id=company.pk)
    finished = jobs.job_run(job_id=job.pk)
    assert finished.status == "succeeded"
    assert finished.result == {"counted": 5}
    assert {group for group, _ in frames} == {f"ml.{agent.pk}"}
    statuses = [frame["status"] for _, frame in frames]
    assert statuses[0] == "running"
    assert statuses[-1] == "succeeded"
    assert len(frames) <= 4  # start, total, (coalesced advances), end: not one per advance
    assert frames[-1][1] == {
        "type": "job",
        "job_id": str(job.pk),
        "kind": "test.count",
        "status": "succeeded",
        "progress": 5,
        "total": 5,
    }


def test_a_failing_job_records_its_error(agent, company):
    job_kind_register("test.fail", run="domus.ops.tests.test_jobs_and_maintenance:missing_function")
    job = job_start(kind="test.fail", actor=agent, company_id=company.pk)
    finished = jobs.job_run(job_id=job.pk)
    assert finished.status == "failed"
    assert "AttributeError" in finished.error


def test_database_routes_are_for_admins(client_for, staff):
    assert client_for(staff).get(PLAN).status_code == 403
    assert client_for(staff).post(OPTIMIZE, content_type="application/json").status_code == 403
    assert client_for(staff).post(REINDEX, content_type="application/json").status_code == 403
    assert not Job.objects.exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite only")
def test_sqlite_answers_409(admin_client):
    for response in (admin_client.get(PLAN), admin_client.post(OPTIMIZE, content_type="application/json")):
        assert response.status_code == 409
        assert "PostgreSQL" in response.json()["detail"]
    assert admin_client.get("/api/v1/database/plan").status_code == 409  # the CRM's path
    assert not Job.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_plan_and_optimize_on_postgresql(client_for, admin_user, django_capture_on_commit_callbacks, audit_log):
    client = client_for(admin_user)
    plan = client.get(PLAN)
    assert plan.status_code == 200
    body = plan.json()
    assert {"missing_indexes", "unused_indexes", "bloat", "slow_queries", "steps"} <= set(body)
    assert all(step["sql"].startswith(("ANALYZE", "VACUUM", "CREATE INDEX CONCURRENTLY")) for step in body["steps"])
    response = client.post(OPTIMIZE, data={"actions": ["analyze"]}, content_type="application/json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    done = job.result["steps"]
    assert all(step["action"] == "analyze" for step in done)
    assert audit_log.objects.filter(action="optimize").count() == len(done)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_optimize_at_a_time(client_for, admin_user):
    Job.objects.create(kind="database.optimize", status="running")
    response = client_for(admin_user).post(OPTIMIZE, content_type="application/json")
    assert response.status_code == 409


def test_reindex_listings(client_for, admin_user, django_capture_on_commit_callbacks, audit_log):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post(REINDEX, data={"targets": ["listings"]}, content_type="application/json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert set(job.result["targets"]) == {"listings"}
    assert audit_log.objects.filter(resource_type="search", action="reindex", resource_id="listings").exists()
    unknown = client_for(admin_user).post(REINDEX, data={"targets": ["nothing"]}, content_type="application/json")
    assert unknown.status_code == 400


def test_another_app_registers_a_reindex_target(admin_user, django_capture_on_commit_callbacks):
    calls = []
    reindex_target_register("rollups", lambda actor, progress: calls.append(actor) or {"rebuilt": 0})
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = reindex_start(actor=admin_user, targets=["rollups"])
    finally:
        REINDEX_TARGETS.pop("rollups")
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.error
    assert job.result == {"targets": {"rollups": {"rebuilt": 0}}}
    assert calls == [admin_user]
