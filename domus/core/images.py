"""The one check of every uploaded image (listing photos, payment proofs, ...).

Pillow's ``Image.open`` reads only the header, so the pixel count is held to
``IMAGE_MAX_PIXELS`` before a single pixel is decoded: a small file may declare a huge
canvas (a "decompression bomb") whose decoding would take gigabytes. Only then is the
image verified and decoded whole, so a truncated or corrupt file is refused too.
Pillow's own ``DecompressionBombWarning`` is an error in Domus (``CoreConfig.ready``)."""

import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from domus.core.exceptions import ValidationFailed

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    width: int
    height: int


def within_pixel_budget(width: int, height: int) -> bool:
    return width * height <= settings.IMAGE_MAX_PIXELS


def _too_large(field: str, size: tuple[int, int] | None = None) -> ValidationFailed:
    limit = settings.IMAGE_MAX_PIXELS
    given = f" ({size[0]:,} x {size[1]:,} given)" if size else ""
    return ValidationFailed(
        f"The image is too large: at most {limit:,} pixels (IMAGE_MAX_PIXELS).",
        errors={field: [f"At most {limit:,} pixels (width x height){given}."]},
    )


def image_check(upload: IO[bytes], *, field: str = "file") -> ImageFacts:
    """The type and size of an uploaded JPEG, PNG or WebP image; a 400 naming ``field``
    when it is not one, declares more than ``IMAGE_MAX_PIXELS`` pixels, or does not decode."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:  # the header only
            image_format, size = image.format, image.size
            if image_format not in IMAGE_TYPES:
                raise ValidationFailed("Unsupported image type.", errors={field: ["Images must be JPEG, PNG or WebP."]})
            if not within_pixel_budget(*size):
                raise _too_large(field, size)
            image.verify()  # structure and checksums
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()  # every pixel decodes: truncated files fail here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed(
            "The file is not a readable image.", errors={field: ["Corrupt or not an image."]}
        ) from None
    finally:
        upload.seek(0)
    return ImageFacts(content_type=IMAGE_TYPES[image_format], width=size[0], height=size[1])


def install_pillow_limits() -> None:
    """Make Pillow itself refuse what ``image_check`` refuses, wherever an image is opened:
    its bomb threshold is the budget, and its bomb warning is an error."""
    Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
