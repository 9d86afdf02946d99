"""Celery task of the ops app: run one background job (any registered kind)."""

from celery import shared_task

from domus.ops.services.jobs import job_run


@shared_task(name="domus.ops.tasks.ops_job_run", acks_late=True)
def ops_job_run(job_id: str) -> str | None:
    job = job_run(job_id=job_id)
    return job.status if job is not None else None
