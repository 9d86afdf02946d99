"""The owner's repair approvals page and the presets and questions of the repair form,
through Django's test client: the maintenance selectors and services the API uses, the
owner's scope, the answers checked by the service and shown next to their questions."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.leasing import services as leasing_services
from domus.leasing.tests.factories import LeaseFactory
from domus.maintenance import services as maintenance
from domus.maintenance.schemas import BookingFilters
from domus.maintenance.selectors import work_order_list_for_actor
from domus.properties.tests.factories import ListingFactory, UnitFactory

pytestmark = pytest.mark.django_db

IssuePreset = apps.get_model("maintenance", "IssuePreset")
OtherIssue = apps.get_model("maintenance", "OtherIssue")
Question = apps.get_model("maintenance", "Question")


def _login(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 160)).save(buffer, format="PNG")
    return SimpleUploadedFile("pump.png", buffer.getvalue(), content_type="image/png")


def _quoted_job(estate, tenant, *, amount: str = "7500.00", note: str = "New pump and fitting"):
    """A tenant's request, triaged, with a quote above the owner's limit: it waits for them."""
    job = maintenance.booking_create(
        actor=tenant, data={"name": "T", "email": tenant.email, "message": "No water upstairs."}, answers=[]
    )
    maintenance.booking_move(actor=estate.staff, work_order_id=job.pk, to="triaged")
    maintenance.costing_update(
        actor=estate.staff, work_order_id=job.pk, data={"estimate_amount": Decimal(amount), "estimate_note": note}
    )
    job.refresh_from_db()
    return job


@pytest.fixture
def quotes(estate):
    maintenance.threshold_set(actor=estate.staff, company_id=estate.company.pk, owner_id=None, amount=Decimal(5000))
    mine = _quoted_job(estate, estate.tenant)
    maintenance.photo_add(actor=estate.tenant, work_order_id=mine.pk, upload=_png())
    # Another owner's home in the same company, with its own quote waiting.
    stranger = UserFactory(role=Role.OWNER, username="stranger", email="stranger@example.test")
    home = ListingFactory(title="Runda maisonette", listing_type="rent", company=estate.company, owner=stranger)
    today = timezone.localdate()
    lease = LeaseFactory(
        listing=home,
        unit=UnitFactory(listing=home, unit_number="M1"),
        tenant=estate.other_tenant,
        start_date=today.replace(day=1),
        end_date=today.replace(day=1) + timedelta(days=364),
    )
    leasing_services.lease_activate(actor=estate.staff, lease=lease)
    theirs = _quoted_job(estate, estate.other_tenant, amount="9100.00", note="Roof sheets")
    return mine, theirs, stranger


# Approvals ----------------------------------------------------------------------------------------


def test_an_owner_sees_only_the_quotes_of_their_own_homes(estate, quotes):
    mine, theirs, stranger = quotes
    assert (mine.status, theirs.status) == ("awaiting_approval", "awaiting_approval")
    page = _login(estate.owner).get("/owner/approvals/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Lavington two-bedroom" in text
    assert "Unit B2" in text
    assert "New pump and fitting" in text
    assert "7,500" in text
    assert "KES" in text
    assert "No water upstairs." in text
    photo = re.search(rf'src="(/repairs/{mine.pk}/photos/[0-9a-f-]+/)"', text).group(1)
    image = _login(estate.owner).get(photo)
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    assert "Runda maisonette" not in text
    assert "Roof sheets" not in text
    # The other owner sees theirs alone, and cannot answer mine (nor see its photo).
    other = _login(stranger)
    their_page = other.get("/owner/approvals/").content.decode()
    assert "Roof sheets" in their_page
    assert "New pump" not in their_page
    assert other.post(f"/owner/approvals/{mine.pk}/", {f"{mine.pk}-decision": "approve"}).status_code == 404
    assert other.get(photo).status_code == 404
    mine.refresh_from_db()
    assert mine.status == "awaiting_approval"
    # The desk's staff see every job of the company, but this page is for owners' own homes.
    assert "New pump" not in _login(estate.staff).get("/owner/approvals/").content.decode()


def test_an_owner_approves_and_sees_the_outcome(estate, quotes):
    mine, _theirs, _stranger = quotes
    owner = _login(estate.owner)
    answer = owner.post(f"/owner/approvals/{mine.pk}/", {f"{mine.pk}-decision": "approve", f"{mine.pk}-reason": ""})
    assert answer.status_code == 302
    assert answer["Location"] == "/owner/approvals/?state=decided"
    decided = owner.get(answer["Location"]).content.decode()
    assert "You approved the repair quote for Lavington two-bedroom." in decided
    assert "Approved" in decided
    assert "New pump and fitting" in decided
    mine.refresh_from_db()
    assert (mine.status, mine.costing.approval_status, mine.costing.approval_by_id) == (
        "triaged",
        "approved",
        estate.owner.pk,
    )
    assert "No repair quote waits for you." in owner.get("/owner/approvals/").content.decode()
    again = owner.post(f"/owner/approvals/{mine.pk}/", {f"{mine.pk}-decision": "decline", f"{mine.pk}-reason": "No"})
    assert "No estimate is waiting for your approval." in owner.get(again["Location"]).content.decode()


def test_declining_needs_a_reason_which_is_kept(estate, quotes):
    mine, _theirs, _stranger = quotes
    owner = _login(estate.owner)
    refused = owner.post(f"/owner/approvals/{mine.pk}/", {f"{mine.pk}-decision": "decline"})
    assert "Say why you decline the quote." in owner.get(refused["Location"]).content.decode()
    mine.refresh_from_db()
    assert mine.costing.approval_status == "pending"
    owner.post(
        f"/owner/approvals/{mine.pk}/",
        {f"{mine.pk}-decision": "decline", f"{mine.pk}-reason": "Too dear, get two quotes."},
    )
    mine.refresh_from_db()
    assert (mine.status, mine.costing.approval_status) == ("triaged", "declined")
    assert mine.costing.approval_reason == "Too dear, get two quotes."
    decided = owner.get("/owner/approvals/?state=decided").content.decode()
    assert "Declined" in decided
    assert "Too dear, get two quotes." in decided


def test_the_approvals_page_is_paginated_in_a_fixed_number_of_queries(
    estate, quotes, settings, django_assert_max_num_queries
):
    settings.WEB_PAGE_SIZE = 2
    for _ in range(3):
        _quoted_job(estate, estate.tenant)
    owner = _login(estate.owner)
    owner.get("/owner/approvals/")  # the session and the user, read once
    with django_assert_max_num_queries(14) as first:
        page = owner.get("/owner/approvals/").content.decode()
    assert page.count('class="card approval"') == 2
    assert "Page 1 of 2" in page
    with django_assert_max_num_queries(len(first.captured_queries)):
        second = owner.get("/owner/approvals/?page=2").content.decode()
    assert second.count('class="card approval"') == 2  # 4 of the owner's quotes, none of the stranger's


def test_visitors_are_sent_to_log_in_and_the_page_speaks_swahili(estate, quotes):
    assert Client().get("/owner/approvals/")["Location"].startswith("/account/login/")
    owner = Client(headers={"Accept-Language": "sw"})
    owner.force_login(estate.owner)
    page = owner.get("/owner/approvals/").content.decode()
    assert "Idhini za marekebisho" in page
    assert "Idhinisha bei" in page


# Presets and questions on the repair form --------------------------------------------------------


@pytest.fixture
def presets(db):
    leak = IssuePreset.objects.create(name="Water leak", category="Plumbing", description="Pipes, taps, tanks.")
    IssuePreset.objects.create(name="Retired preset", is_active=False)
    OtherIssue.objects.create(name="Noise from neighbours")
    every = Question.objects.create(text="Can we enter when you are out?", kind="yes_no", position=9)
    near = Question.objects.create(
        issue=leak, text="Is water near sockets or wiring?", kind="yes_no", required=True, emergency_answer="yes"
    )
    litres = Question.objects.create(issue=leak, text="How many litres an hour, roughly?", kind="number", position=2)
    room = Question.objects.create(issue=leak, text="Which room?", kind="choice", choices=["Kitchen", "Bathroom"])
    return {"leak": leak, "every": every, "near": near, "litres": litres, "room": room}


def _field(question) -> str:
    return f"answer_{question.pk.hex}"


def test_the_form_offers_the_presets_and_the_chosen_ones_questions(estate, presets):
    page = Client().get("/repairs/").content.decode()
    assert "Water leak" in page
    assert "Noise from neighbours" in page
    assert "Something else" in page
    assert "Retired preset" not in page
    assert "Can we enter when you are out?" in page  # asked of every booking
    assert "Is water near sockets" not in page
    fragment = Client().get(f"/repairs/questions/?issue={presets['leak'].pk}").content.decode()
    assert "Pipes, taps, tanks." in fragment
    assert "Is water near sockets or wiring?" in fragment
    assert "(required)" in fragment
    assert 'inputmode="decimal"' in fragment
    assert 'value="Bathroom"' in fragment
    assert "<form" not in fragment  # a part of the page


def test_without_scripts_a_first_submit_brings_the_questions_and_books_nothing(estate, presets):
    tenant = _login(estate.tenant)
    step = tenant.post(
        "/repairs/",
        {"name": "T", "email": "tenant@example.test", "issue": str(presets["leak"].pk), "step": "questions"},
    )
    text = step.content.decode()
    assert step.status_code == 200
    assert "Is water near sockets or wiring?" in text
    assert f'<option value="{presets["leak"].pk}" selected>' in text
    assert 'value="T"' in text
    assert not work_order_list_for_actor(actor=estate.staff, filters=BookingFilters()).exists()


def test_an_answer_makes_a_web_booking_an_emergency(estate, presets):
    tenant = _login(estate.tenant)
    answer = tenant.post(
        "/repairs/",
        {
            "name": "T",
            "email": "tenant@example.test",
            "message": "Water drips from the ceiling light.",
            "issue": str(presets["leak"].pk),
            _field(presets["near"]): "yes",
            _field(presets["room"]): "Kitchen",
            _field(presets["litres"]): "",
        },
    )
    assert answer.status_code == 302
    (row,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    assert (row.issue_id, row.priority) == (presets["leak"].pk, "emergency")
    assert {r.question_id: r.value for r in row.responses.all()} == {
        presets["near"].pk: "yes",
        presets["room"].pk: "Kitchen",
    }
    assert "it is handled first" in tenant.get(answer["Location"]).content.decode()


def test_a_bad_answer_is_refused_by_the_service_next_to_its_question(estate, presets):
    tenant = _login(estate.tenant)
    data = {
        "name": "T",
        "email": "tenant@example.test",
        "message": "Leak.",
        "issue": str(presets["leak"].pk),
        _field(presets["near"]): "no",
        _field(presets["litres"]): "a lot",
    }
    refused = tenant.post("/repairs/", data)
    text = refused.content.decode()
    assert refused.status_code == 400
    errors = re.search(rf'id="id_{_field(presets["litres"])}-errors">([^<]+)<', text).group(1)
    assert errors == "Must be a number."
    assert not work_order_list_for_actor(actor=estate.staff, filters=BookingFilters()).exists()  # nothing half-made
    missing = tenant.post("/repairs/", {**data, _field(presets["near"]): "", _field(presets["litres"]): "20"})
    assert re.search(rf'id="id_{_field(presets["near"])}-errors">', missing.content.decode())
    booked = tenant.post("/repairs/", {**data, _field(presets["litres"]): "20"})
    assert booked.status_code == 302
    (row,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    assert row.priority != "emergency"


def test_an_other_issue_or_something_else_is_booked_with_its_text(estate, presets):
    tenant = _login(estate.tenant)
    other = OtherIssue.objects.get()
    tenant.post(
        "/repairs/", {"name": "T", "email": "tenant@example.test", "message": "Loud", "issue": f"other:{other.pk}"}
    )
    tenant.post("/repairs/", {"name": "T", "email": "tenant@example.test", "message": "Cracked tile", "issue": "other"})
    rows = {r.message: r for r in work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())}
    assert (rows["Loud"].other_issue_id, rows["Loud"].issue_id) == (other.pk, None)
    assert (rows["Cracked tile"].other_issue_id, rows["Cracked tile"].issue_id) == (None, None)
    refused = tenant.post("/repairs/", {"name": "T", "email": "tenant@example.test", "message": "X", "issue": "nope"})
    assert refused.status_code == 400


# Photo questions and questions shown by an earlier answer ----------------------------------------


@pytest.fixture
def conditional(presets):
    """Water near sockets? yes -> "Where are the sockets?" (required) and a photo (required)."""
    leak, near = presets["leak"], presets["near"]
    near.position = 1
    near.save()
    where = Question.objects.create(
        issue=leak,
        text="Where are the sockets?",
        required=True,
        position=3,
        show_if_question=near,
        show_if_answer="yes",
    )
    photo = Question.objects.create(
        issue=leak, text="A photo of the wet wall", kind="photo", required=True, position=4,
        show_if_question=near, show_if_answer="yes",
    )  # fmt: skip
    return {**presets, "where": where, "photo": photo}


def test_an_answer_brings_the_questions_it_leads_to(estate, conditional):
    leak, near = conditional["leak"], conditional["near"]
    first = Client().get(f"/repairs/questions/?issue={leak.pk}").content.decode()
    assert "Where are the sockets?" not in first
    assert 'hx-include="closest form"' in first  # answering "near" asks for the questions again
    assert "Show the questions for these answers" in first  # the no-script way
    shown = Client().get(f"/repairs/questions/?issue={leak.pk}&{_field(near)}=yes").content.decode()
    assert "Where are the sockets?" in shown
    assert 'type="file"' in shown
    assert 'accept="image/jpeg,image/png,image/webp"' in shown
    hidden = Client().get(f"/repairs/questions/?issue={leak.pk}&{_field(near)}=no").content.decode()
    assert "Where are the sockets?" not in hidden


def test_without_scripts_the_answers_step_shows_the_led_questions(estate, conditional):
    tenant = _login(estate.tenant)
    step = tenant.post(
        "/repairs/",
        {
            "name": "T",
            "email": "tenant@example.test",
            "issue": str(conditional["leak"].pk),
            _field(conditional["near"]): "yes",
            "step": "questions",
        },
    )
    assert "A photo of the wet wall" in step.content.decode()
    assert not work_order_list_for_actor(actor=estate.staff, filters=BookingFilters()).exists()


def test_a_web_booking_answers_a_photo_question_with_an_upload(estate, conditional):
    tenant = _login(estate.tenant)
    data = {
        "name": "T",
        "email": "tenant@example.test",
        "message": "The wall by the socket is wet.",
        "issue": str(conditional["leak"].pk),
        _field(conditional["near"]): "yes",
        _field(conditional["where"]): "Kitchen wall",
    }
    missing = tenant.post("/repairs/", data)
    assert missing.status_code == 400
    assert re.search(rf'id="id_{_field(conditional["photo"])}-errors">', missing.content.decode())
    text_file = SimpleUploadedFile("wall.png", b"not a picture", content_type="image/png")
    refused = tenant.post("/repairs/", {**data, _field(conditional["photo"]): text_file})
    assert refused.status_code == 400
    errors = re.search(rf'id="id_{_field(conditional["photo"])}-errors">([^<]+)<', refused.content.decode()).group(1)
    assert errors == "This file is not a readable image."
    assert not work_order_list_for_actor(actor=estate.staff, filters=BookingFilters()).exists()
    booked = tenant.post("/repairs/", {**data, _field(conditional["photo"]): _png()})
    assert booked.status_code == 302
    (row,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    answer = row.responses.get(question=conditional["photo"])
    assert answer.photo.work_order_id == row.pk
    assert answer.photo.content_type == "image/png"


def test_the_form_sends_no_answer_to_a_question_the_answers_hide(estate, conditional):
    tenant = _login(estate.tenant)
    booked = tenant.post(
        "/repairs/",
        {
            "name": "T",
            "email": "tenant@example.test",
            "message": "A small leak under the sink.",
            "issue": str(conditional["leak"].pk),
            _field(conditional["near"]): "no",
            _field(conditional["where"]): "typed before changing the answer",
        },
    )
    assert booked.status_code == 302
    (row,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    assert set(row.responses.values_list("question_id", flat=True)) == {conditional["near"].pk}
