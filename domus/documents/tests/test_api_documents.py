"""Documents through the API: upload (type from the bytes, limits, names), versions,
streamed downloads, shares and signed links, and who reads what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domus.documents.models import Document, DocumentVersion
from domus.documents.tests.fixtures import docx_bytes, pdf_bytes, png_bytes, upload, xlsx_bytes

URL = "/api/v1/documents/"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_staff_upload_a_pdf_whose_type_is_read_from_the_bytes_and_its_text_is_extracted(client_for, staff, company):
    response = upload(client_for(staff), pdf_bytes("The boiler is serviced every March."), name="../../etc/notes.txt")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["company_id"] == str(company.pk)
    assert body["current_version"] == 1
    version = DocumentVersion.objects.get(document_id=body["id"])
    assert version.content_type == "application/pdf"
    assert version.filename == "notes.pdf"  # no path, the real type's extension
    assert version.extraction_status == "done"
    assert "boiler is serviced" in version.text


@pytest.mark.parametrize(
    ("data", "name", "content_type", "text"),
    [
        (docx_bytes("Keys are collected at the front desk."), "keys.docx", "wordprocessingml", "front desk"),
        (xlsx_bytes([["Item", "Cost"], ["Paint", "1200"]]), "costs.xlsx", "spreadsheetml", "Paint | 1200"),
        (b"unit,rent\nA1,50000\nA2,65000\n", "rents.csv", "text/csv", "A2 | 65000"),
        (png_bytes(), "photo.png", "image/png", ""),
    ],
)
def test_office_files_csv_and_images_are_accepted(client_for, staff, data, name, content_type, text):
    response = upload(client_for(staff), data, name=name)
    assert response.status_code == 201, response.json()
    version = DocumentVersion.objects.get(document_id=response.json()["id"])
    assert content_type in version.content_type
    assert text in version.text


def test_unsupported_too_large_and_oversized_images_are_refused(client_for, staff, settings):
    client = client_for(staff)
    response = upload(client, b"MZ\x90\x00\x03" + bytes(200), name="invoice.pdf")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    settings.DOCUMENT_MAX_BYTES = 100
    assert upload(client, pdf_bytes("x" * 50), name="a.pdf").status_code == 400
    settings.DOCUMENT_MAX_BYTES = 10_000_000
    settings.IMAGE_MAX_PIXELS = 100
    response = upload(client, png_bytes(20, 20), name="big.png")
    assert response.status_code == 400
    assert "pixels" in response.json()["errors"]["file"][0]
    assert not Document.objects.exists()


def test_every_version_stays_downloadable_by_id(client_for, staff):
    client = client_for(staff)
    document_id = upload(client, pdf_bytes("First draft."), name="terms.pdf").json()["id"]
    response = upload(client, pdf_bytes("Second draft."), name="terms-v2.pdf", path=f"{URL}{document_id}/versions/")
    assert response.status_code == 201
    assert response.json()["number"] == 2
    versions = client.get(f"{URL}{document_id}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    first = client.get(f"{URL}{document_id}/versions/{versions[1]['id']}/download/")
    assert first.status_code == 200
    assert first["X-Document-Version"] == versions[1]["id"]
    assert _body(first).startswith(b"%PDF-")
    current = client.get(f"{URL}{document_id}/download/")
    assert current["X-Document-Version"] == versions[0]["id"]
    assert "attachment" in current["Content-Disposition"]
    assert current["X-Content-Type-Options"] == "nosniff"


def test_who_reads_a_document(client_for, staff, other_staff, tenant, owner, stranger, lease, listing):
    staff_client = client_for(staff)
    lease_doc = upload(staff_client, pdf_bytes("Lease."), name="lease.pdf", lease_id=lease.pk).json()["id"]
    internal = upload(staff_client, pdf_bytes("Notes."), name="n.pdf", lease_id=lease.pk, is_internal="true").json()[
        "id"
    ]
    listing_doc = upload(staff_client, pdf_bytes("Plan."), name="plan.pdf", listing_id=listing.pk).json()["id"]

    def visible(user):
        return {row["id"] for row in client_for(user).get(URL).json()["results"]}

    assert visible(staff) == {lease_doc, internal, listing_doc}
    assert visible(tenant) == {lease_doc}
    assert visible(owner) == {lease_doc, listing_doc}  # the lease's owner is the listing's owner
    assert visible(other_staff) == set()
    assert visible(stranger) == set()
    for user in (stranger, other_staff, tenant):
        assert client_for(user).get(f"{URL}{internal}/").status_code == 404
        assert client_for(user).get(f"{URL}{internal}/download/").status_code == 404


def test_a_reader_may_not_edit_and_nothing_changes(client_for, staff, tenant, lease):
    document_id = upload(client_for(staff), pdf_bytes("Lease."), name="l.pdf", lease_id=lease.pk).json()["id"]
    response = client_for(tenant).patch_json(f"{URL}{document_id}/", {"title": "Mine now"})
    assert response.status_code == 403
    assert Document.objects.get(pk=document_id).title == "l.pdf"
    assert client_for(tenant).delete(f"{URL}{document_id}/").status_code == 403


def test_shares_with_users_and_companies_and_their_expiry(client_for, staff, stranger, other_staff, other_company):
    client = client_for(staff)
    document_id = upload(client, pdf_bytes("Shared."), name="s.pdf").json()["id"]
    response = client.post_json(f"{URL}{document_id}/share/", {"user_id": str(stranger.pk), "permission": "edit"})
    assert response.status_code == 201
    assert client_for(stranger).get(f"{URL}{document_id}/").status_code == 200
    assert client_for(stranger).patch_json(f"{URL}{document_id}/", {"title": "Edited"}).status_code == 200
    assert client_for(other_staff).get(f"{URL}{document_id}/").status_code == 404
    client.post_json(
        f"{URL}{document_id}/share/",
        {"company_id": str(other_company.pk), "expires_at": (timezone.now() + timedelta(days=1)).isoformat()},
    )
    assert client_for(other_staff).get(f"{URL}{document_id}/").status_code == 200
    from domus.documents.models import DocumentShare

    DocumentShare.objects.filter(company=other_company).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(other_staff).get(f"{URL}{document_id}/").status_code == 404
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert (
        client.post_json(f"{URL}{document_id}/share/", {"user_id": str(stranger.pk), "expires_at": past}).status_code
        == 400
    )
    unknown = client.post_json(f"{URL}{document_id}/share/", {"company_id": "00000000-0000-0000-0000-000000000001"})
    assert (unknown.status_code, unknown.json()["errors"]) == (404, {"company_id": ["Not found."]})


def test_signed_links_download_until_they_expire(client_for, api_client, staff):
    client = client_for(staff)
    document_id = upload(client, pdf_bytes("For the valuer."), name="val.pdf").json()["id"]
    response = client.post_json(f"{URL}{document_id}/share/", {"link": True, "expires_in": 3600})
    assert response.status_code == 201
    url = response.json()["url"]
    path = url[url.index("/api/") :]
    download = api_client.get(path)
    assert download.status_code == 200
    assert _body(download).startswith(b"%PDF-")
    assert api_client.get(path[:-3] + "xx/").status_code == 404
    from domus.documents import services

    token = path.rstrip("/").rsplit("/", 1)[-1]
    expired = services.signing.dumps(
        {"v": response.json()["version_id"], "e": int(timezone.now().timestamp()) - 1}, salt=services.LINK_SALT
    )
    assert api_client.get(path.replace(token, expired)).status_code == 404


def test_the_document_list_makes_a_fixed_number_of_queries(client_for, staff, django_assert_max_num_queries):
    client = client_for(staff)
    for n in range(3):
        upload(client, pdf_bytes(f"Doc {n}."), name=f"d{n}.pdf")
    with django_assert_max_num_queries(8) as queries:
        assert len(client.get(URL).json()["results"]) == 3
    count = len(queries.captured_queries)
    for n in range(3, 8):
        upload(client, pdf_bytes(f"Doc {n}."), name=f"d{n}.pdf")
    with django_assert_max_num_queries(count):
        assert len(client.get(URL).json()["results"]) == 8


def test_the_original_systems_paths(client_for, staff):
    client = client_for(staff)
    response = upload(client, pdf_bytes("Via the CRM path."), name="crm.pdf", path="/api/v1/documents/upload/")
    assert response.status_code == 201
    assert client.get(f"/api/documents/{response.json()['id']}/").status_code == 200
