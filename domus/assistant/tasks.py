"""Celery tasks of the assistant: the assist job and the index rebuild."""

from celery import shared_task

from domus.assistant.services import assist, index


@shared_task(name="domus.assistant.tasks.assistant_assist")
def assistant_assist(job_id: str) -> str:
    return assist.assist_job_run(job_id=job_id).status


@shared_task(name="domus.assistant.tasks.assistant_reindex", acks_late=True)
def assistant_reindex(job_id: str) -> str:
    return index.reindex_run(job_id=job_id).status
