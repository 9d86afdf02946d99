"""Uploading and arranging a listing's media. Images are verified by
``domus.core.images.image_check`` (JPEG, PNG or WebP, within IMAGE_MAX_PIXELS),
documents and floor plans must be PDFs; files go to the default storage under
``listings/<listing id>/``; a JPEG thumbnail is made by a job after commit. A listing
has at most one cover (a DB constraint), always an image."""

import io
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps

from domus.audit.services import audit_diff, audit_record, audit_snapshot
from domus.core.exceptions import ValidationFailed
from domus.core.images import image_check
from domus.properties.models import Listing, ListingMedia, MediaKind
from domus.properties.selectors import listing_for_update
from domus.properties.selectors.media import (
    media_cover_of,
    media_first_image,
    media_for_thumbnail,
    media_next_position,
)

logger = logging.getLogger(__name__)
PDF_MAGIC = b"%PDF-"
MEDIA_FIELDS = frozenset({"title", "position", "is_cover"})


def _snapshot(media: ListingMedia) -> dict[str, Any]:
    # audit_snapshot answers the FieldFile itself for ``file``; the trail keeps its name.
    return {key: getattr(value, "name", value) for key, value in audit_snapshot(media).items()}


def _audit(*, actor: Any, media: ListingMedia, action: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    changes = audit_diff(before, after)
    if changes or action != "update":
        audit_record(
            actor=actor,
            action=action,
            resource_type=ListingMedia._meta.label_lower,
            resource_id=media.pk,
            changes=changes,
            company_id=media.listing.company_id,
        )


def max_upload_bytes() -> int:
    return settings.LISTING_MEDIA_MAX_BYTES


def _is_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    return head == PDF_MAGIC


def _make_cover(media: ListingMedia) -> None:
    current = media_cover_of(listing=media.listing)
    if current is not None and current.pk != media.pk:
        current.is_cover = False
        current.save(update_fields=["is_cover", "updated_at"])
    media.is_cover = True


@transaction.atomic
def media_upload(
    *, actor: Any, listing: Listing, upload: UploadedFile, kind: str, title: str = "", is_cover: bool = False
) -> ListingMedia:
    """Store a file of ``listing`` (400 when too big or of the wrong type). The first
    image becomes the cover; ``is_cover`` moves the cover to this image."""
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationFailed("The file is too large.", errors={"file": [f"At most {limit // (1024 * 1024)} MB."]})
    width = height = None
    if kind == MediaKind.IMAGE:
        facts = image_check(upload)
        content_type, width, height = facts.content_type, facts.width, facts.height
    elif _is_pdf(upload):
        content_type = "application/pdf"
    else:
        raise ValidationFailed("Unsupported document type.", errors={"file": ["Documents and floor plans are PDFs."]})
    if is_cover and kind != MediaKind.IMAGE:
        raise ValidationFailed("Only an image can be the cover.", errors={"is_cover": ["Not an image."]})

    listing = listing_for_update(listing.pk)  # one media change of a listing at a time (one cover)
    media = ListingMedia(
        listing=listing,
        kind=kind,
        title=title.strip(),
        original_name=(upload.name or "")[:255],
        content_type=content_type,
        size=upload.size,
        width=width,
        height=height,
        position=media_next_position(listing=listing),
        uploaded_by=actor,
    )
    if kind == MediaKind.IMAGE and (is_cover or media_cover_of(listing=listing) is None):
        _make_cover(media)
    media.file.save(upload.name or "upload", upload, save=False)
    stored = media.file.name
    try:
        media.save(force_insert=True)
    except Exception:
        default_storage.delete(stored)
        raise
    _audit(actor=actor, media=media, action="create", before={}, after=_snapshot(media))
    if kind == MediaKind.IMAGE:
        from domus.properties.tasks import media_thumbnail

        transaction.on_commit(lambda: media_thumbnail.delay(str(media.pk)), robust=True)
    return media


@transaction.atomic
def media_update(*, actor: Any, media: ListingMedia, **fields: Any) -> ListingMedia:
    """Change a medium's title or position, or make it (or stop it being) the cover."""
    unknown = sorted(set(fields) - MEDIA_FIELDS)
    if unknown:
        raise ValidationFailed("Unknown fields.", errors={key: ["Not a writable field."] for key in unknown})
    listing_for_update(media.listing_id)
    before = _snapshot(media)
    is_cover = fields.pop("is_cover", None)
    if is_cover and media.kind != MediaKind.IMAGE:
        raise ValidationFailed("Only an image can be the cover.", errors={"is_cover": ["Not an image."]})
    if is_cover:
        _make_cover(media)
    elif is_cover is False:
        media.is_cover = False
    if "title" in fields:
        media.title = (fields["title"] or "").strip()
    if fields.get("position") is not None:
        media.position = fields["position"]
    media.save()
    _audit(actor=actor, media=media, action="update", before=before, after=_snapshot(media))
    return media


@transaction.atomic
def media_delete(*, actor: Any, media: ListingMedia) -> None:
    """Remove a medium and (after commit) its files; when it was the cover, the next
    image becomes the cover."""
    listing = listing_for_update(media.listing_id)
    snapshot = _snapshot(media)
    names = [name for name in (media.file.name, media.thumbnail) if name]
    media_id, was_cover = media.pk, media.is_cover
    media.delete()
    if was_cover:
        successor = media_first_image(listing=listing)
        if successor is not None:
            successor.is_cover = True
            successor.save(update_fields=["is_cover", "updated_at"])
    audit_record(
        actor=actor,
        action="delete",
        resource_type=ListingMedia._meta.label_lower,
        resource_id=media_id,
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
        company_id=listing.company_id,
    )
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names], robust=True)


def media_thumbnail_make(*, media_id: str) -> str | None:
    """Write a JPEG thumbnail (``LISTING_THUMBNAIL_WIDTH`` px wide, default 400) of an
    image and record its storage name; answers it (``None`` when the image is gone)."""
    media = media_for_thumbnail(media_id)
    if media is None:
        return None
    width = settings.LISTING_THUMBNAIL_WIDTH
    with media.file.open("rb") as source:
        try:
            image_check(source)  # stored before IMAGE_MAX_PIXELS was lowered, or altered since
        except ValidationFailed as refused:
            logger.warning("stored image refused: no thumbnail", extra={"media_id": media_id, "error": refused.detail})
            return None
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            if image.width > width:
                image = image.resize(
                    (width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS
                )
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=82, optimize=True)
    name = default_storage.save(
        f"listings/{media.listing_id}/thumbnails/{media.pk}.jpg", ContentFile(buffer.getvalue())
    )
    with transaction.atomic():
        updated = ListingMedia.objects.filter(pk=media.pk).update(thumbnail=name)
    if not updated:
        default_storage.delete(name)
        return None
    return name
