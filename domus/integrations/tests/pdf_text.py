"""Reading back what a rendered PDF says, for the tests of every document."""

import io

from pypdf import PdfReader


def pdf_text(document: bytes) -> str:
    """The text of every page of ``document``, one page after the other."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
