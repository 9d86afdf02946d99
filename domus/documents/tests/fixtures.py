"""Fixtures of the documents and assistant tests: two companies with staff, a listing of
the first with its owner, a lease with its tenant, a stranger; and files to upload."""

import io

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.leasing.tests.factories import LeaseFactory
from domus.organizations.tests.fixtures import *  # noqa: F403
from domus.properties.tests.factories import ListingFactory


@pytest.fixture
def client_for(db, django_capture_on_commit_callbacks):
    """``client_for(user)``: a client sending ``user``'s token whose requests run their
    after-commit work (text extraction, indexing, events) as a committed request would."""
    from conftest import ApiClient
    from domus.accounts.tokens import issue_pair

    class CommittingClient(ApiClient):
        def request(self, **request):
            with django_capture_on_commit_callbacks(execute=True):
                return super().request(**request)

    def make(user):
        return CommittingClient(headers={"Authorization": f"Bearer {issue_pair(user).access}"})

    return make


@pytest.fixture
def api_client(django_capture_on_commit_callbacks):
    from conftest import ApiClient

    return ApiClient()


@pytest.fixture
def owner(db):
    return UserFactory(role=Role.OWNER)


@pytest.fixture
def listing(company, owner):
    return ListingFactory(company=company, owner=owner, title="Riverside Court")


@pytest.fixture
def tenant(db):
    return UserFactory(role=Role.TENANT)


@pytest.fixture
def lease(listing, tenant):
    return LeaseFactory(listing=listing, tenant=tenant, status="active")


@pytest.fixture
def stranger(db):
    return UserFactory(role=Role.CUSTOMER)


def pdf_bytes(*paragraphs: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(3)
    return bytes(pdf.output())


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "file.pdf", path: str = "/api/v1/documents/", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {key: str(value) for key, value in fields.items()}
    return client.post(path, data={"file": SimpleUploadedFile(name, data), **form})
