"""Listing media: multipart upload with type, size and integrity checks, storage under
listings/<id>/, the thumbnail job, ordering, one cover per listing, and the cover
thumbnail on result cards without a query per card."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from domus.properties.models import ListingMedia
from domus.properties.tests.conftest import SEARCH_PAGE_QUERIES, URL
from domus.properties.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def media_url(listing) -> str:
    return f"{URL}{listing.id}/media/"


@pytest.fixture
def owner_client(client_for, owner):
    return client_for(owner)


@pytest.fixture
def post_media(django_capture_on_commit_callbacks):
    """``post_media(client, listing, ...)``: upload, then run what waits for the commit
    (the thumbnail job), as a real request's transaction would."""

    def post(client, listing, name="photo.png", content=None, **fields):
        data = {"file": upload(name, image_bytes() if content is None else content), **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(media_url(listing), data)

    return post


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_image_is_stored_with_a_thumbnail_and_becomes_the_cover(
    fmt, owner_client, published_a, audit_log, post_media
):
    response = post_media(owner_client, published_a, name=f"photo.{fmt.lower()}", content=image_bytes(fmt))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["width"], body["height"], body["is_cover"]) == ("image", 800, 600, True)
    assert body["content_type"] == f"image/{fmt.lower()}"
    media = ListingMedia.objects.get(pk=body["id"])
    assert media.file.name.startswith(f"listings/{published_a.id}/")
    assert default_storage.exists(media.file.name)
    # The thumbnail job ran after commit (eagerly in tests): a 400 px wide JPEG.
    assert media.thumbnail.startswith(f"listings/{published_a.id}/thumbnails/")
    with default_storage.open(media.thumbnail) as stored, Image.open(stored) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (400, 300))
    assert audit_log.objects.filter(action="create", resource_type="properties.listingmedia").count() == 1


def test_documents_and_floor_plans_are_pdfs(owner_client, published_a, post_media):
    document = post_media(owner_client, published_a, name="title.pdf", content=PDF, kind="document")
    floor_plan = post_media(owner_client, published_a, name="plan.pdf", content=PDF, kind="floor_plan")
    not_pdf = post_media(owner_client, published_a, name="plan.docx", content=b"PK\x03\x04", kind="floor_plan")

    assert (document.status_code, floor_plan.status_code, not_pdf.status_code) == (201, 201, 400)
    assert document.json()["content_type"] == "application/pdf"
    assert document.json()["is_cover"] is False
    assert (document.json()["position"], floor_plan.json()["position"]) == (0, 1)
    assert ListingMedia.objects.get(pk=document.json()["id"]).thumbnail == ""


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("fake.png", b"not an image at all", "image"),
        ("cut.png", image_bytes()[:200], "image"),
        ("anim.gif", image_bytes("GIF"), "image"),
        ("doc.pdf", PDF, "image"),
        ("photo.png", image_bytes(), "document"),
    ],
    ids=["not-an-image", "truncated", "gif", "pdf-as-image", "image-as-document"],
)
def test_bad_or_corrupt_files_are_400(name, content, kind, owner_client, published_a, post_media):
    response = post_media(owner_client, published_a, name=name, content=content, kind=kind)

    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not ListingMedia.objects.exists()


def test_files_over_the_size_limit_are_400(owner_client, published_a, settings, post_media):
    settings.LISTING_MEDIA_MAX_BYTES = 1000

    response = post_media(owner_client, published_a)

    assert response.status_code == 400
    assert "too large" in response.json()["detail"]
    assert not ListingMedia.objects.exists()


def test_a_missing_file_or_kind_is_400(owner_client, published_a, post_media):
    assert owner_client.post(media_url(published_a), {"kind": "image"}).status_code == 400
    assert post_media(owner_client, published_a, kind="video").status_code == 400


def test_only_managers_upload_and_others_change_nothing(
    client_for, customer, staff_b, published_a, draft_a, post_media
):
    assert post_media(client_for(customer), published_a).status_code == 403
    assert post_media(client_for(staff_b), published_a).status_code == 403
    assert post_media(client_for(customer), draft_a).status_code == 404
    assert not ListingMedia.objects.exists()


def test_uploads_are_throttled_by_the_upload_scope(owner_client, published_a, settings, rate_limits, post_media):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(upload="2/m")

    statuses = [post_media(owner_client, published_a).status_code for _ in range(3)]

    assert statuses == [201, 201, 429]


def test_the_cover_moves_and_there_is_only_ever_one(owner_client, published_a, post_media):
    first = post_media(owner_client, published_a).json()
    second = post_media(owner_client, published_a).json()
    third = post_media(owner_client, published_a, is_cover="true").json()

    assert (first["is_cover"], second["is_cover"], third["is_cover"]) == (True, False, True)
    made_cover = owner_client.patch_json(f"{media_url(published_a)}{second['id']}/", {"is_cover": True})
    assert made_cover.json()["is_cover"] is True
    covers = ListingMedia.objects.filter(is_cover=True).values_list("pk", flat=True)
    assert [str(pk) for pk in covers] == [made_cover.json()["id"]]
    pdf = post_media(owner_client, published_a, name="a.pdf", content=PDF, kind="document").json()
    assert owner_client.patch_json(f"{media_url(published_a)}{pdf['id']}/", {"is_cover": True}).status_code == 400


def test_the_database_allows_one_cover_per_listing(published_a):
    ListingMedia.objects.create(listing=published_a, file="a.png", content_type="image/png", size=1, is_cover=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        ListingMedia.objects.create(listing=published_a, file="b.png", content_type="image/png", size=1, is_cover=True)


def test_media_are_listed_in_order_and_reordered(owner_client, api_client, published_a, post_media):
    ids = [post_media(owner_client, published_a).json()["id"] for _ in range(3)]

    moved = owner_client.patch_json(f"{media_url(published_a)}{ids[0]}/", {"position": 10, "title": "Garden"})
    listed = api_client.get(media_url(published_a))

    assert moved.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [ids[1], ids[2], ids[0]]
    assert listed.json()["results"][2]["title"] == "Garden"


def test_deleting_the_cover_promotes_the_next_image_and_removes_files(
    owner_client, published_a, django_capture_on_commit_callbacks, post_media
):
    cover = post_media(owner_client, published_a).json()
    other = post_media(owner_client, published_a).json()
    stored = ListingMedia.objects.get(pk=cover["id"])

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.delete(f"{media_url(published_a)}{cover['id']}/")

    assert response.status_code == 204
    assert ListingMedia.objects.get(pk=other["id"]).is_cover is True
    assert not default_storage.exists(stored.file.name)
    assert not default_storage.exists(stored.thumbnail)


def test_strangers_cannot_change_or_delete_media(client_for, customer, owner_client, published_a, post_media):
    media_id = post_media(owner_client, published_a).json()["id"]
    client = client_for(customer)

    assert client.patch_json(f"{media_url(published_a)}{media_id}/", {"title": "Mine"}).status_code == 403
    assert client.delete(f"{media_url(published_a)}{media_id}/").status_code == 403
    assert ListingMedia.objects.get(pk=media_id).title == ""


def test_drafts_media_are_hidden_from_the_public(api_client, draft_a):
    assert api_client.get(media_url(draft_a)).status_code == 404


def test_cards_show_the_cover_thumbnail_without_a_query_per_card(
    owner_client, owner, api_client, django_assert_num_queries, post_media
):
    for index in range(4):
        listing = ListingFactory(owner=owner, title=f"Home {index}")
        post_media(owner_client, listing)
    ListingFactory(title="No photos")

    # count (+ the planner's estimate on PostgreSQL), ids of the page, its rows (cover thumbnail as a
    # subquery column), features of the page
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        response = api_client.get(URL)

    cards = {card["title"]: card["cover_thumbnail_url"] for card in response.json()["results"]}
    assert cards["No photos"] is None
    assert all(cards[f"Home {i}"].startswith("/media/listings/") for i in range(4))
    assert all(cards[f"Home {i}"].endswith(".jpg") for i in range(4))


def test_a_decompression_bomb_is_a_400_naming_the_pixel_limit(owner_client, draft_a, post_media):
    from domus.core.tests.images import png_bomb

    bomb = png_bomb(13_000, 13_000)
    assert len(bomb) < 512 * 1024

    response = post_media(owner_client, draft_a, name="bomb.png", content=bomb)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "40,000,000 pixels" in body["detail"]
    assert "file" in body["errors"]
    assert not ListingMedia.objects.exists()
    assert not default_storage.exists(f"listings/{draft_a.id}")
