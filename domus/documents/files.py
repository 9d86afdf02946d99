"""What an uploaded file is, judged by its bytes (never by its name or the client's
content type), and the text of each kind. Used by the services; no database here."""

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from domus.core.exceptions import ValidationFailed
from domus.core.images import image_check

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
TEXT = "text/plain"
EXTENSIONS = {
    PDF: ".pdf",
    DOCX: ".docx",
    XLSX: ".xlsx",
    CSV: ".csv",
    TEXT: ".txt",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}
ALLOWED = "PDF, DOCX, XLSX, CSV, plain text, JPEG, PNG or WebP"
# An Office file is a zip: its entries together may not inflate beyond this (zip bombs).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class FileFacts:
    content_type: str
    size: int
    sha256: str
    filename: str


def sanitize_filename(raw: str, content_type: str) -> str:
    """A file name safe to store and send back: the last path part, NFKC-normalised, no
    control or shell characters, at most 120 characters, ending in the extension of the
    type the bytes actually are."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ._") or "document"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    extension = EXTENSIONS[content_type]
    return f"{stem[: 120 - len(extension)].strip(' ._') or 'document'}{extension}"


def _zip_kind(upload: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise ValidationFailed("The file inflates too much.", errors={"file": ["Archive too large unpacked."]})
    except zipfile.BadZipFile:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return False
    return True


def sniff(upload: IO[bytes], *, filename: str) -> FileFacts:
    """The facts of an upload, or a 400 naming ``file`` (unsupported type, too large, empty)."""
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    if size == 0:
        raise ValidationFailed("The file is empty.", errors={"file": ["Empty file."]})
    limit = settings.DOCUMENT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            f"The file is too large: at most {limit:,} bytes (DOCUMENT_MAX_BYTES).",
            errors={"file": [f"At most {limit:,} bytes."]},
        )
    head = upload.read(8192)
    upload.seek(0)
    content_type: str | None = None
    if head.startswith(b"%PDF-"):
        content_type = PDF
    elif head.startswith(b"PK\x03\x04"):
        content_type = _zip_kind(upload)
        upload.seek(0)
    elif (
        head[:3] == b"\xff\xd8\xff"
        or head[:8] == b"\x89PNG\r\n\x1a\n"
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    ):
        content_type = image_check(upload).content_type
    elif _is_text(head):
        content_type = CSV if filename.lower().endswith(".csv") or _looks_like_csv(head) else TEXT
    if content_type is None:
        raise ValidationFailed("Unsupported file type.", errors={"file": [f"Upload a {ALLOWED} file."]})
    digest = hashlib.sha256()
    for block in iter(lambda: upload.read(1 << 20), b""):
        digest.update(block)
    upload.seek(0)
    return FileFacts(
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        filename=sanitize_filename(filename, content_type),
    )


def _looks_like_csv(head: bytes) -> bool:
    lines = head.decode("utf-8", "ignore").splitlines()[:5]
    return len(lines) >= 2 and all(line.count(",") == lines[0].count(",") > 0 for line in lines if line)


# Text extraction (run by the extraction task, off the request path) ------------------------


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs if paragraph.text.strip()]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(parts)


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parts = []
    for sheet in workbook.worksheets:
        parts.append(f"# {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if value is None else str(value) for value in row]
            if any(cells):
                parts.append(" | ".join(cells))
    workbook.close()
    return "\n".join(parts)


def _csv_text(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return "\n".join(" | ".join(row) for row in csv.reader(io.StringIO(text)))


def _image_text(data: bytes) -> str:
    """OCR when Tesseract is installed (``pytesseract``); otherwise no text."""
    try:
        import pytesseract
        from PIL import Image
    except ImportError:
        return ""
    try:
        return pytesseract.image_to_string(Image.open(io.BytesIO(data)))
    except Exception:  # no tesseract binary, or it failed: the image simply has no text
        return ""


EXTRACTORS = {
    PDF: _pdf_text,
    DOCX: _docx_text,
    XLSX: _xlsx_text,
    CSV: _csv_text,
    TEXT: lambda d: d.decode("utf-8", "replace"),
}


def extract_text(data: bytes, content_type: str) -> str:
    """The text of a file (``""`` for an image without OCR), whitespace tidied, capped at
    ``DOCUMENT_TEXT_MAX_CHARS``."""
    extractor = EXTRACTORS.get(content_type, _image_text if content_type.startswith("image/") else None)
    if extractor is None:
        return ""
    text = extractor(data)
    text = re.sub(r"[ \t\r\f\v]+", " ", text.replace("\x00", ""))
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return text[: settings.DOCUMENT_TEXT_MAX_CHARS]
