"""Celery tasks of documents: text extraction, off the request path."""

from celery import shared_task

from domus.documents import services


@shared_task(name="domus.documents.tasks.document_version_extract", acks_late=True)
def document_version_extract(version_id: str) -> str | None:
    version = services.document_version_extract(version_id=version_id)
    return version.extraction_status if version else None
