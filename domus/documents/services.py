"""Every write to documents, their versions and shares, and to knowledge articles."""

from datetime import date, datetime, timedelta
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.core.exceptions import NotFound, PermissionDenied, UnknownReference, ValidationFailed
from domus.core.policies import is_admin
from domus.documents import files
from domus.documents import selectors as doc_selectors
from domus.documents.markdown import render_markdown
from domus.documents.models import (
    Document,
    DocumentShare,
    DocumentVersion,
    ExtractionStatus,
    KnowledgeArticle,
)
from domus.organizations.selectors import (
    company_exists,
    default_company_id,
    is_company_staff,
    is_company_worker,
)

LINK_SALT = "domus.documents.link"
LINKS = ("listing_id", "unit_id", "lease_id", "contract_id", "client_id")


def _linked_company(actor: Any, links: dict[str, UUID]) -> UUID | None:
    """The company of the linked objects, each of which ``actor`` must be able to read (a 400
    naming the field otherwise, the same for a missing one); they must share one company."""
    from domus.crm.selectors import client_get_for_actor
    from domus.leasing.selectors import lease_get_for_actor
    from domus.properties.selectors import listing_get_for_actor, listing_visible_to
    from domus.sales.selectors import contract_get_for_actor

    companies: set[UUID | None] = set()
    for field, value in links.items():
        try:
            if field == "listing_id":
                companies.add(listing_get_for_actor(actor=actor, listing_id=value).company_id)
            elif field == "unit_id":
                listing = listing_visible_to(actor).filter(units__pk=value).first()
                if listing is None:
                    raise NotFound("Unit not found.")
                companies.add(listing.company_id)
            elif field == "lease_id":
                companies.add(lease_get_for_actor(actor=actor, lease_id=value).company_id)
            elif field == "contract_id":
                companies.add(contract_get_for_actor(actor=actor, contract_id=value).company_id)
            elif field == "client_id":
                companies.add(client_get_for_actor(actor=actor, client_id=value).company_id)
        except NotFound:
            raise UnknownReference("A linked object was not found.", errors={field: ["Not found."]}) from None
    companies.discard(None)
    if len(companies) > 1:
        raise ValidationFailed(
            "The linked objects belong to different companies.", errors={LINKS[0]: ["Link objects of one company."]}
        )
    return next(iter(companies), None)


def _store_version(*, actor: Any, document: Document, upload: IO[bytes], filename: str) -> DocumentVersion:
    facts = files.sniff(upload, filename=filename)
    document.current_version_number += 1
    document.save(update_fields=["current_version_number", "updated_at"])
    version = DocumentVersion(
        document=document,
        number=document.current_version_number,
        filename=facts.filename,
        content_type=facts.content_type,
        size=facts.size,
        sha256=facts.sha256,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version.file.save(facts.filename, File(upload, name=facts.filename), save=False)
    version.save()
    audit_create(actor=actor, instance=version, company_id=document.company_id)
    version_id = str(version.pk)
    transaction.on_commit(lambda: _enqueue_extraction(version_id))
    return version


def _enqueue_extraction(version_id: str) -> None:
    from domus.documents.tasks import document_version_extract

    document_version_extract.delay(version_id)


@transaction.atomic
def document_create(
    *,
    actor: Any,
    upload: IO[bytes],
    filename: str,
    title: str = "",
    description: str = "",
    category: str = "other",
    tags: list[str] | None = None,
    is_internal: bool = False,
    company_id: UUID | None = None,
    **links: UUID | None,
) -> Document:
    """A document and its first version. Its company is that of the linked object (which the
    uploader must be able to read), else ``company_id`` (or the uploader's one company),
    where the uploader must work (staff or agent)."""
    given = {key: value for key, value in links.items() if value is not None}
    linked_company = _linked_company(actor, given)
    if linked_company is not None:
        if company_id is not None and company_id != linked_company:
            raise ValidationFailed(
                "company_id is not the company of the linked object.", errors={"company_id": ["Does not match."]}
            )
        company_id = linked_company
    else:
        company_id = company_id or default_company_id(actor)
        if company_id is None or not company_exists(company_id):
            raise ValidationFailed("Say which company the document is for.", errors={"company_id": ["Required."]})
        if not is_company_worker(actor, company_id):
            raise PermissionDenied("Only the company's staff and agents file documents that are not linked.")
    if is_internal and not is_company_worker(actor, company_id):
        raise PermissionDenied("Only the company's staff and agents file internal documents.")
    document = Document.objects.create(
        company_id=company_id,
        title=title or filename[:200] or "Document",
        description=description,
        category=category,
        tags=sorted(set(tags or [])),
        is_internal=is_internal,
        uploaded_by=actor,
        **given,
    )
    audit_create(actor=actor, instance=document, company_id=company_id)
    _store_version(actor=actor, document=document, upload=upload, filename=filename)
    publish("document.created", {"id": str(document.pk), "company_id": str(company_id)})
    return document


@transaction.atomic
def document_version_add(*, actor: Any, document: Document, upload: IO[bytes], filename: str) -> DocumentVersion:
    """A new version of ``document``; every earlier version stays downloadable. The document
    row is locked so two uploads at once get consecutive numbers."""
    locked = doc_selectors.document_for_update(document.pk)
    return _store_version(actor=actor, document=locked, upload=upload, filename=filename)


DOCUMENT_FIELDS = frozenset({"title", "description", "category", "tags", "is_internal"})


@transaction.atomic
def document_update(*, actor: Any, document: Document, **fields: Any) -> Document:
    unknown = set(fields) - DOCUMENT_FIELDS
    if unknown:
        raise ValidationFailed("Unknown fields.", errors={name: ["Unknown field."] for name in sorted(unknown)})
    if fields.get("is_internal") and not is_company_worker(actor, document.company_id):
        raise PermissionDenied("Only the company's staff and agents mark documents internal.")
    before = audit_snapshot(document)
    for name, value in fields.items():
        if value is None:
            raise ValidationFailed("Some fields may not be null.", errors={name: ["May not be null."]})
        setattr(document, name, sorted(set(value)) if name == "tags" else value)
    document.save()
    audit_update(actor=actor, instance=document, before=before, company_id=document.company_id)
    publish("document.changed", {"id": str(document.pk)})
    if document.title != before.get("title"):
        publish("document.retitled", {"id": str(document.pk)})  # passages are embedded with the title
    return document


@transaction.atomic
def document_delete(*, actor: Any, document: Document) -> None:
    """Hide the document (its files stay for the audit trail); the index forgets it."""
    before = audit_snapshot(document)
    document.deleted_at = timezone.now()
    document.save(update_fields=["deleted_at", "updated_at"])
    audit_update(actor=actor, instance=document, before=before, action="delete", company_id=document.company_id)
    publish("document.deleted", {"id": str(document.pk)})


def document_version_extract(*, version_id: UUID | str) -> DocumentVersion | None:
    """Extract the text of a version (the Celery task's body), then announce it so the index
    is rebuilt for it. Failures are recorded on the version, never raised."""
    version = doc_selectors.version_by_id(UUID(str(version_id)))
    if version is None:
        return None
    try:
        with version.file.open("rb") as handle:
            data = handle.read()
        text = files.extract_text(data, version.content_type)
        status, error = (ExtractionStatus.DONE if text else ExtractionStatus.EMPTY), ""
    except Exception as exc:  # a corrupt file is the uploader's problem, not the worker's
        text, status, error = "", ExtractionStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300]
    with transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).update(
            text=text, extraction_status=status, extraction_error=error, updated_at=timezone.now()
        )
        publish("document.version_extracted", {"id": str(version.document_id), "version_id": str(version.pk)})
    version.text, version.extraction_status, version.extraction_error = text, status, error
    return version


# Shares ----------------------------------------------------------------------------------------


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("The expiry is in the past.", errors={"expires_at": ["Must be in the future."]})


@transaction.atomic
def share_create(
    *,
    actor: Any,
    document: Document,
    user_id: UUID | None = None,
    company_id: UUID | None = None,
    permission: str = "read",
    expires_at: datetime | None = None,
) -> DocumentShare:
    """Share ``document`` with one user or one company (the caller must be able to edit it)."""
    from domus.accounts.selectors import active_user_for_field

    if (user_id is None) == (company_id is None):
        raise ValidationFailed(
            "Share with one user or one company.", errors={"user_id": ["Give user_id or company_id."]}
        )
    _check_expiry(expires_at)
    if user_id is not None:
        active_user_for_field(user_id, field="user_id")
    elif not company_exists(company_id):
        raise UnknownReference("No such company.", errors={"company_id": ["Not found."]})
    share, created = DocumentShare.objects.update_or_create(
        document=document,
        user_id=user_id,
        company_id=company_id,
        defaults={"permission": permission, "expires_at": expires_at, "created_by": actor},
    )
    audit_record(
        actor=actor,
        action="create" if created else "update",
        resource_type="documents.documentshare",
        resource_id=share.pk,
        changes={"permission": {"after": permission}, "expires_at": {"after": str(expires_at)}},
        company_id=document.company_id,
    )
    publish("document.changed", {"id": str(document.pk)})
    return share


@transaction.atomic
def share_delete(*, actor: Any, share: DocumentShare) -> None:
    audit_record(
        actor=actor,
        action="delete",
        resource_type="documents.documentshare",
        resource_id=share.pk,
        company_id=share.document.company_id,
    )
    document_id = share.document_id
    share.delete()
    publish("document.changed", {"id": str(document_id)})


def share_link_create(*, actor: Any, document: Document, version: DocumentVersion, expires_in: int) -> dict[str, Any]:
    """A signed link to one version for someone without an account, valid ``expires_in``
    seconds (at most ``DOCUMENT_LINK_MAX_SECONDS``). Nothing is stored: the signature is the key."""
    limit = settings.DOCUMENT_LINK_MAX_SECONDS
    if not 60 <= expires_in <= limit:
        raise ValidationFailed("Bad link lifetime.", errors={"expires_in": [f"Between 60 and {limit} seconds."]})
    expires_at = timezone.now() + timedelta(seconds=expires_in)
    token = signing.dumps({"v": str(version.pk), "e": int(expires_at.timestamp())}, salt=LINK_SALT, compress=True)
    audit_record(
        actor=actor,
        action="share_link",
        resource_type="documents.documentversion",
        resource_id=version.pk,
        changes={"expires_at": {"after": expires_at.isoformat()}},
        company_id=document.company_id,
    )
    return {"token": token, "version_id": version.pk, "expires_at": expires_at}


def share_link_version(*, token: str) -> DocumentVersion:
    """The version a signed link names, while it is valid; the same 404 otherwise."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        if data["e"] < timezone.now().timestamp():
            raise NotFound("Link not found or expired.")
        return doc_selectors.version_for_link(version_id=UUID(data["v"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("Link not found or expired.") from None


# Knowledge articles ---------------------------------------------------------------------------


def _article_company(actor: Any, company_id: UUID | None) -> UUID | None:
    if company_id is None:
        if is_admin(actor):
            return None  # a platform-wide article
        company_id = default_company_id(actor)
        if company_id is None:
            raise ValidationFailed("Say which company the article is for.", errors={"company_id": ["Required."]})
    if not company_exists(company_id):
        raise UnknownReference("No such company.", errors={"company_id": ["Not found."]})
    if not is_company_staff(actor, company_id):
        raise PermissionDenied("Only the company's staff write its knowledge articles.")
    return company_id


def _check_article(title: str, body: str) -> None:
    if not title.strip() or not body.strip():
        raise ValidationFailed("Title and body are required.", errors={"body": ["Must not be blank."]})
    render_markdown(body)  # refuses nothing, but proves the body renders


@transaction.atomic
def article_create(
    *,
    actor: Any,
    title: str,
    body: str,
    tags: list[str] | None = None,
    is_published: bool = False,
    review_by: date | None = None,
    company_id: UUID | None = None,
    source: str = "staff",
) -> KnowledgeArticle:
    _check_article(title, body)
    article = KnowledgeArticle.objects.create(
        company_id=_article_company(actor, company_id),
        title=title.strip(),
        body=body,
        tags=sorted(set(tags or [])),
        is_published=is_published,
        review_by=review_by,
        source=source,
        created_by=actor,
    )
    audit_create(actor=actor, instance=article, company_id=article.company_id)
    publish("knowledge.changed", {"id": str(article.pk)})
    return article


@transaction.atomic
def article_update(*, actor: Any, article: KnowledgeArticle, **fields: Any) -> KnowledgeArticle:
    if not (is_admin(actor) or (article.company_id and is_company_staff(actor, article.company_id))):
        raise PermissionDenied("Only the company's staff edit its knowledge articles.")
    before = audit_snapshot(article)
    for name, value in fields.items():
        if value is None and name != "review_by":
            raise ValidationFailed("Some fields may not be null.", errors={name: ["May not be null."]})
        setattr(article, name, sorted(set(value)) if name == "tags" else value)
    _check_article(article.title, article.body)
    article.save()
    audit_update(actor=actor, instance=article, before=before, company_id=article.company_id)
    publish("knowledge.changed", {"id": str(article.pk)})
    return article


@transaction.atomic
def article_delete(*, actor: Any, article: KnowledgeArticle) -> None:
    if not (is_admin(actor) or (article.company_id and is_company_staff(actor, article.company_id))):
        raise PermissionDenied("Only the company's staff delete its knowledge articles.")
    audit_record(
        actor=actor,
        action="delete",
        resource_type="documents.knowledgearticle",
        resource_id=article.pk,
        company_id=article.company_id,
    )
    article_id = str(article.pk)
    article.delete()
    publish("knowledge.deleted", {"id": article_id})
