"""The index follows documents and knowledge articles as they change."""

from uuid import UUID

from domus.assistant.services.index import index_article, index_document
from domus.core.events import subscribe


@subscribe("document.version_extracted")
@subscribe("document.deleted")
@subscribe("document.retitled")
def reindex_document(*, event: str, payload: dict) -> None:
    index_document(document_id=UUID(payload["id"]))


@subscribe("knowledge.changed")
@subscribe("knowledge.deleted")
def reindex_article(*, event: str, payload: dict) -> None:
    index_article(article_id=UUID(payload["id"]))
