"""Reads of documents and knowledge articles. ``document_visible_to`` is the ONE rule of
who reads a document: the list, the detail, the downloads and the assistant's index all
filter through it (the index by ``version_ids_readable_by``)."""

from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.documents.models import Document, DocumentShare, DocumentVersion, KnowledgeArticle, SharePermission
from domus.organizations.selectors import (
    company_ids_for_user,
    company_ids_for_user_query,
    company_ids_related_to,
    company_ids_related_to_queries,
    staff_company_ids,
    staff_company_ids_query,
)


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _live_shares(
    actor: Any, *, permission: str | None = None, now: Any = None, one_statement: bool = False
) -> QuerySet[DocumentShare]:
    """Shares granting ``actor`` (directly or through a company) that have not expired
    (at ``now``, the current time unless given)."""
    now = now or timezone.now()
    companies = company_ids_for_user_query(actor) if one_statement else company_ids_for_user(actor)
    shares = DocumentShare.objects.filter(
        Q(user_id=actor.pk) | Q(company_id__in=companies),
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
    )
    if permission:
        shares = shares.filter(permission=permission)
    return shares


def document_visible_to(actor: Any, *, now: Any = None, one_statement: bool = False) -> QuerySet[Document]:
    """Admins read every document; company staff their companies'; the uploader theirs;
    anyone a live share names; and, unless the document is internal, the parties of its
    linked object: the lease's tenant and owner, the owner and agent of the listing (or of
    the unit's listing), the contract's buyer, the client's own user and assigned agent.

    With ``one_statement`` the caller's companies are subqueries of the same statement
    instead of sets read first (the same rule; the assistant compiles it once and binds
    only the caller and ``now`` on each question)."""
    queryset = Document.objects.all()
    if is_admin(actor):
        return queryset
    if not _authenticated(actor):
        return queryset.none()
    me = actor.pk
    # Each linked-object rule is its own small subquery (an inner join on one relation)
    # rather than one OR over seven outer joins: the planner then uses the foreign-key
    # indexes, and planning stays cheap (the assistant resolves this set on every question).
    linked = Document.objects.filter(is_internal=False)
    parties = (
        Q(pk__in=linked.filter(Q(lease__tenant_id=me) | Q(lease__owner_id=me)).values("pk"))
        | Q(pk__in=linked.filter(Q(listing__owner_id=me) | Q(listing__agent_id=me)).values("pk"))
        | Q(pk__in=linked.filter(unit__listing__owner_id=me).values("pk"))
        | Q(pk__in=linked.filter(contract__offer__buyer_id=me).values("pk"))
        | Q(pk__in=linked.filter(Q(client__user_id=me) | Q(client__assigned_agent_id=me)).values("pk"))
    )
    shared = Q(pk__in=_live_shares(actor, now=now, one_statement=one_statement).values("document_id"))
    staff_of = staff_company_ids_query(actor) if one_statement else staff_company_ids(actor)
    return queryset.filter(Q(company_id__in=staff_of) | Q(uploaded_by_id=me) | shared | parties)


def document_editable_by(actor: Any) -> QuerySet[Document]:
    """Documents ``actor`` may change (new versions, metadata): company staff, the
    uploader, an ``edit`` share."""
    queryset = Document.objects.all()
    if is_admin(actor):
        return queryset
    if not _authenticated(actor):
        return queryset.none()
    shared = Exists(_live_shares(actor, permission=SharePermission.EDIT).filter(document_id=OuterRef("pk")))
    return queryset.filter(Q(company_id__in=staff_company_ids(actor)) | Q(uploaded_by_id=actor.pk) | shared)


def document_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[Document]:
    queryset = document_visible_to(actor)
    if getattr(filters, "tag", None):
        queryset = queryset.filter(tags__icontains=f'"{filters.tag}"')
    return filter_list(
        queryset,
        filters,
        exact_fields=("category", "company_id", "listing_id", "unit_id", "lease_id", "contract_id", "client_id"),
        search_fields=["title", "description"],
        ordering_fields=["created_at", "updated_at", "title"],
    )


def document_get_for_actor(*, actor: Any, document_id: UUID) -> Document:
    """The document, or the same NotFound whether it is missing or hidden."""
    document = document_visible_to(actor).filter(pk=document_id).first()
    if document is None:
        raise NotFound("Document not found.")
    return document


def document_can_edit(*, actor: Any, document: Document) -> bool:
    return document_editable_by(actor).filter(pk=document.pk).exists()


def document_for_update(document_id: UUID) -> Document:
    return Document.objects.select_for_update().get(pk=document_id)


def versions_of(*, document: Document) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(document=document).order_by("-number")


def version_get(*, document: Document, version_id: UUID) -> DocumentVersion:
    version = DocumentVersion.objects.filter(document=document, pk=version_id).first()
    if version is None:
        raise NotFound("Version not found.")
    return version


def current_version(*, document: Document) -> DocumentVersion:
    version = DocumentVersion.objects.filter(document=document, number=document.current_version_number).first()
    if version is None:
        raise NotFound("The document has no file yet.")
    return version


def version_by_id(version_id: UUID) -> DocumentVersion | None:
    return DocumentVersion.objects.select_related("document").filter(pk=version_id).first()


def version_ids_readable_by(actor: Any) -> QuerySet:
    """Ids of the document versions ``actor`` may read (a subquery: the index filters on it)."""
    return DocumentVersion.objects.filter(
        document__in=document_visible_to(actor).values("pk"), document__deleted_at__isnull=True
    ).values("pk")


def current_version_ids_readable_by(actor: Any) -> list[UUID]:
    """Ids of the current versions of the live documents ``actor`` may read (the only
    versions the index holds), in one query."""
    return list(current_versions_readable_by(actor))


def current_versions_readable_by(actor: Any, *, now: Any = None, one_statement: bool = False) -> QuerySet:
    """The query of ``current_version_ids_readable_by`` (``pk`` only, unordered), for a
    caller that aggregates the ids in the database (``now`` and ``one_statement``: see
    ``document_visible_to``)."""
    from django.db.models import F

    return (
        DocumentVersion.objects.filter(
            document__in=document_visible_to(actor, now=now, one_statement=one_statement).values("pk"),
            document__deleted_at__isnull=True,
            number=F("document__current_version_number"),
        )
        .order_by()
        .values_list("pk", flat=True)
    )


def current_version_ids() -> QuerySet:
    """Ids of the current version of every live document (what the index holds)."""
    from django.db.models import F

    return DocumentVersion.objects.filter(
        document__deleted_at__isnull=True, number=F("document__current_version_number")
    ).values_list("pk", flat=True)


def shares_of(*, document: Document) -> QuerySet[DocumentShare]:
    return DocumentShare.objects.filter(document=document).order_by("-created_at")


def share_get(*, document: Document, share_id: UUID) -> DocumentShare:
    share = DocumentShare.objects.filter(document=document, pk=share_id).first()
    if share is None:
        raise NotFound("Share not found.")
    return share


def version_for_link(*, version_id: UUID) -> DocumentVersion:
    """The version a signed link names, while its document lives."""
    version = DocumentVersion.objects.select_related("document").filter(pk=version_id).first()
    if version is None or version.document.deleted_at is not None:
        raise NotFound("Document not found.")
    return version


# Knowledge articles ------------------------------------------------------------------------


def article_visible_to(actor: Any, *, one_statement: bool = False) -> QuerySet[KnowledgeArticle]:
    """Published articles of no company are read by everyone signed in, of a company by those
    related to it (members, tenants and owners of its leases, its clients); drafts by the
    company's staff (platform drafts by admins). ``one_statement``: see ``document_visible_to``."""
    queryset = KnowledgeArticle.objects.all()
    if is_admin(actor):
        return queryset
    if not _authenticated(actor):
        return queryset.none()
    if one_statement:
        related = Q()
        for companies in company_ids_related_to_queries(actor.pk):
            related |= Q(company_id__in=companies)
        staff_of = staff_company_ids_query(actor)
    else:
        related, staff_of = Q(company_id__in=company_ids_related_to(actor.pk)), staff_company_ids(actor)
    published = Q(is_published=True) & (Q(company__isnull=True) | related)
    return queryset.filter(published | Q(company_id__in=staff_of))


def article_ids_readable_by(actor: Any, *, one_statement: bool = False) -> QuerySet:
    return article_visible_to(actor, one_statement=one_statement).filter(is_published=True).values("pk")


def article_list_for_actor(*, actor: Any, filters: Any) -> QuerySet[KnowledgeArticle]:
    queryset = article_visible_to(actor)
    if getattr(filters, "tag", None):
        queryset = queryset.filter(tags__icontains=f'"{filters.tag}"')
    return filter_list(
        queryset,
        filters,
        exact_fields=("is_published", "company_id"),
        search_fields=["title", "body"],
        ordering_fields=["created_at", "updated_at", "title", "review_by"],
    )


def article_get_for_actor(*, actor: Any, article_id: UUID) -> KnowledgeArticle:
    article = article_visible_to(actor).filter(pk=article_id).first()
    if article is None:
        raise NotFound("Article not found.")
    return article


def article_by_id(article_id: UUID) -> KnowledgeArticle | None:
    return KnowledgeArticle.objects.filter(pk=article_id).first()


def published_article_ids() -> QuerySet:
    return KnowledgeArticle.objects.filter(is_published=True).values_list("pk", flat=True)


def version_sources(version_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """``{version id: {document_id, title, number}}`` (what a citation shows)."""
    rows = DocumentVersion.objects.filter(pk__in=version_ids).values(
        "pk", "document_id", "document__title", "number", "filename"
    )
    return {
        row["pk"]: {
            "document_id": row["document_id"],
            "title": row["document__title"],
            "number": row["number"],
            "filename": row["filename"],
        }
        for row in rows
    }


def article_sources(article_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    return {
        row["pk"]: {"title": row["title"]}
        for row in KnowledgeArticle.objects.filter(pk__in=article_ids).values("pk", "title")
    }


def version_index_source(version_id: UUID) -> dict[str, Any] | None:
    """What the index needs of a version: its text, its document's title, and whether it is
    the current version of a live document (only those are indexed)."""
    version = DocumentVersion.objects.select_related("document").filter(pk=version_id).first()
    if version is None:
        return None
    document = version.document
    return {
        "version_id": version.pk,
        "document_id": document.pk,
        "title": document.title,
        "text": version.text,
        "current": document.deleted_at is None and version.number == document.current_version_number,
    }


def document_version_ids(document_id: UUID) -> list[UUID]:
    return list(DocumentVersion.objects.filter(document_id=document_id).values_list("pk", flat=True))


def document_current_version_id(document_id: UUID) -> UUID | None:
    from django.db.models import F

    return (
        DocumentVersion.objects.filter(
            document_id=document_id, document__deleted_at__isnull=True, number=F("document__current_version_number")
        )
        .values_list("pk", flat=True)
        .first()
    )


def article_index_source(article_id: UUID) -> dict[str, Any] | None:
    article = KnowledgeArticle.objects.filter(pk=article_id).first()
    if article is None:
        return None
    return {"article_id": article.pk, "title": article.title, "text": article.body, "current": article.is_published}


LINK_FIELDS = {
    "document": "pk",
    "listing": "listing_id",
    "unit": "unit_id",
    "lease": "lease_id",
    "contract": "contract_id",
    "client": "client_id",
}


def version_ids_about(*, actor: Any, object_type: str, object_id: UUID) -> list[UUID]:
    """The readable current versions of the documents about one object (a document itself,
    or the documents linked to a listing, unit, lease, contract or client)."""
    from django.db.models import F

    documents = document_visible_to(actor).filter(**{LINK_FIELDS[object_type]: object_id})
    return list(
        DocumentVersion.objects.filter(
            document__in=documents.values("pk"), number=F("document__current_version_number")
        ).values_list("pk", flat=True)
    )


def document_company_id(document_id: UUID | str) -> UUID | None:
    return Document.objects.filter(pk=document_id).values_list("company_id", flat=True).first()
