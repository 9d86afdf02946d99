"""Documents API: upload (multipart), list, read, edit, delete, versions, streamed downloads,
shares and signed links; knowledge articles (staff)."""

from uuid import UUID

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.core.openapi import download
from domus.core.policies import require
from domus.core.throttling import ScopedRateLimit
from domus.documents import selectors, services
from domus.documents.models import DocumentVersion
from domus.documents.schemas import (
    ArticleFilters,
    ArticleIn,
    ArticleOut,
    ArticlePatchIn,
    DocumentFilters,
    DocumentOut,
    DocumentPatchIn,
    DocumentUploadIn,
    ShareIn,
    ShareOut,
    VersionOut,
)


def _stored_file() -> dict:
    """``openapi_extra`` of a download: the file, in the media type it was uploaded with."""
    return download("The file, in the media type it was uploaded with", "*/*")


router = Router(tags=["documents"])

READERS = {"x-permission": "company staff, the uploader, those it is shared with, the linked object's parties"}
EDITORS = {"x-permission": "company staff, the uploader, an edit share, or admin"}
STAFF = {"x-permission": "company staff or admin"}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def _stream(version: DocumentVersion) -> FileResponse:
    """The file, streamed in blocks from storage, as an attachment that is never sniffed."""
    response = FileResponse(
        version.file.open("rb"), as_attachment=True, filename=version.filename, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Document-Version"] = str(version.pk)
    return response


def _editable(request: HttpRequest, document_id: UUID):
    document = selectors.document_get_for_actor(actor=request.auth, document_id=document_id)
    require(selectors.document_can_edit(actor=request.auth, document=document), "You may only read this document.")
    return document


# Knowledge articles (before the document paths) ------------------------------------------------


@router.get(
    "/knowledge/",
    response={200: list[ArticleOut], 400: ErrorOut, 401: ErrorOut},
    summary="Knowledge articles (published ones, and the drafts of your companies for staff)",
    openapi_extra={"x-permission": "signed in; drafts: company staff"},
)
@paginate
def article_list(request: HttpRequest, filters: Query[ArticleFilters]):
    return selectors.article_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/knowledge/",
    response={201: ArticleOut, 200: ArticleOut, **WRITE_ERRORS},
    summary="Write a knowledge article (or update one, given its id)",
    openapi_extra=STAFF,
)
def article_create(request: HttpRequest, payload: ArticleIn):
    data = payload.dict()
    article_id = data.pop("id")
    if article_id is not None:
        article = selectors.article_get_for_actor(actor=request.auth, article_id=article_id)
        data.pop("company_id")
        return Status(200, services.article_update(actor=request.auth, article=article, **data))
    return Status(201, services.article_create(actor=request.auth, **data))


@router.get(
    "/knowledge/{article_id}/",
    response={200: ArticleOut, **READ_ERRORS},
    summary="A knowledge article",
    openapi_extra={"x-permission": "signed in; drafts: company staff"},
)
def article_detail(request: HttpRequest, article_id: UUID):
    return selectors.article_get_for_actor(actor=request.auth, article_id=article_id)


@router.patch(
    "/knowledge/{article_id}/",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="Edit an article",
    openapi_extra=STAFF,
)
def article_patch(request: HttpRequest, article_id: UUID, payload: ArticlePatchIn):
    article = selectors.article_get_for_actor(actor=request.auth, article_id=article_id)
    return services.article_update(actor=request.auth, article=article, **payload.dict(exclude_unset=True))


@router.delete(
    "/knowledge/{article_id}/", response={204: None, **WRITE_ERRORS}, summary="Delete an article", openapi_extra=STAFF
)
def article_delete(request: HttpRequest, article_id: UUID):
    article = selectors.article_get_for_actor(actor=request.auth, article_id=article_id)
    services.article_delete(actor=request.auth, article=article)
    return Status(204, None)


# Signed links (no account) ------------------------------------------------------------------


@router.get(
    "/links/{token}/",
    auth=None,
    response={200: None, 404: ErrorOut},
    summary="Download through a signed, expiring link",
    openapi_extra={
        "x-permission": "anyone holding a valid link",
        **_stored_file(),
    },
)
def link_download(request: HttpRequest, token: str):
    return _stream(services.share_link_version(token=token))


# Documents ---------------------------------------------------------------------------------------


@router.get(
    "/", response={200: list[DocumentOut], 400: ErrorOut, 401: ErrorOut}, summary="Documents", openapi_extra=READERS
)
@paginate
def document_list(request: HttpRequest, filters: Query[DocumentFilters]):
    return selectors.document_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/",
    response={201: DocumentOut, **WRITE_ERRORS},
    throttle=ScopedRateLimit("upload"),
    summary="Upload a document (PDF, DOCX, XLSX, CSV, text or image)",
    description=(
        "Multipart: `file` plus the form fields. The type is read from the bytes; size limit "
        "DOCUMENT_MAX_BYTES, images at most IMAGE_MAX_PIXELS. The text is extracted in the background."
    ),
    openapi_extra={"x-permission": "company staff and agents; a linked object's readers for that object"},
)
def document_upload(request: HttpRequest, file: File[UploadedFile], payload: Form[DocumentUploadIn]):
    data = payload.dict()
    data["tags"] = payload.tag_list()
    document = services.document_create(actor=request.auth, upload=file, filename=file.name or "", **data)
    return Status(201, document)


@router.get("/{document_id}/", response={200: DocumentOut, **READ_ERRORS}, summary="A document", openapi_extra=READERS)
def document_detail(request: HttpRequest, document_id: UUID):
    return selectors.document_get_for_actor(actor=request.auth, document_id=document_id)


@router.patch(
    "/{document_id}/", response={200: DocumentOut, **WRITE_ERRORS}, summary="Edit a document", openapi_extra=EDITORS
)
def document_patch(request: HttpRequest, document_id: UUID, payload: DocumentPatchIn):
    document = _editable(request, document_id)
    return services.document_update(actor=request.auth, document=document, **payload.dict(exclude_unset=True))


@router.delete(
    "/{document_id}/", response={204: None, **WRITE_ERRORS}, summary="Delete a document", openapi_extra=EDITORS
)
def document_delete(request: HttpRequest, document_id: UUID):
    services.document_delete(actor=request.auth, document=_editable(request, document_id))
    return Status(204, None)


@router.get(
    "/{document_id}/download/",
    response={200: None, **READ_ERRORS},
    summary="Download the current version (streamed)",
    openapi_extra={**READERS, **_stored_file()},
)
def document_download(request: HttpRequest, document_id: UUID):
    document = selectors.document_get_for_actor(actor=request.auth, document_id=document_id)
    return _stream(selectors.current_version(document=document))


@router.get(
    "/{document_id}/versions/",
    response={200: list[VersionOut], **READ_ERRORS},
    summary="Every version of a document, newest first",
    openapi_extra=READERS,
)
@paginate
def version_list(request: HttpRequest, document_id: UUID):
    document = selectors.document_get_for_actor(actor=request.auth, document_id=document_id)
    return selectors.versions_of(document=document)


@router.post(
    "/{document_id}/versions/",
    response={201: VersionOut, **WRITE_ERRORS},
    throttle=ScopedRateLimit("upload"),
    summary="Upload a new version (multipart `file`)",
    openapi_extra=EDITORS,
)
def version_upload(request: HttpRequest, document_id: UUID, file: File[UploadedFile]):
    document = _editable(request, document_id)
    version = services.document_version_add(
        actor=request.auth, document=document, upload=file, filename=file.name or ""
    )
    return Status(201, version)


@router.get(
    "/{document_id}/versions/{version_id}/download/",
    response={200: None, **READ_ERRORS},
    summary="Download one version (streamed)",
    openapi_extra={**READERS, **_stored_file()},
)
def version_download(request: HttpRequest, document_id: UUID, version_id: UUID):
    document = selectors.document_get_for_actor(actor=request.auth, document_id=document_id)
    return _stream(selectors.version_get(document=document, version_id=version_id))


@router.post(
    "/{document_id}/share/",
    response={201: ShareOut, **WRITE_ERRORS},
    summary="Share with a user or a company (read or edit, optional expiry), or make a signed link",
    openapi_extra=EDITORS,
)
def document_share(request: HttpRequest, document_id: UUID, payload: ShareIn):
    document = _editable(request, document_id)
    if payload.link:
        version = (
            selectors.version_get(document=document, version_id=payload.version_id)
            if payload.version_id
            else selectors.current_version(document=document)
        )
        link = services.share_link_create(
            actor=request.auth, document=document, version=version, expires_in=payload.expires_in
        )
        url = request.build_absolute_uri(reverse("api:link_download", kwargs={"token": link["token"]}))
        return Status(
            201,
            ShareOut(
                document_id=document.pk,
                permission="read",
                expires_at=link["expires_at"],
                url=url,
                version_id=version.pk,
            ),
        )
    share = services.share_create(
        actor=request.auth,
        document=document,
        user_id=payload.user_id,
        company_id=payload.company_id,
        permission=payload.permission,
        expires_at=payload.expires_at,
    )
    return Status(201, share)


@router.get(
    "/{document_id}/shares/",
    response={200: list[ShareOut], **READ_ERRORS},
    summary="Who a document is shared with",
    openapi_extra=EDITORS,
)
@paginate
def share_list(request: HttpRequest, document_id: UUID):
    return selectors.shares_of(document=_editable(request, document_id))


@router.delete(
    "/{document_id}/shares/{share_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Stop sharing",
    openapi_extra=EDITORS,
)
def share_delete(request: HttpRequest, document_id: UUID, share_id: UUID):
    document = _editable(request, document_id)
    services.share_delete(actor=request.auth, share=selectors.share_get(document=document, share_id=share_id))
    return Status(204, None)
