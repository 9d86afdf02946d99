"""Booking questions that ask for a photo, and questions shown only when an earlier
question has a given answer: set up by the desk, enforced on the server at booking."""

import base64

import pytest

from domus.core.tests.images import png_bomb
from domus.maintenance.models import Question, Response, WorkOrderPhoto
from domus.maintenance.tests.helpers import booking_body, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _takes_bookings(company):
    """The platform's company, which takes public bookings."""
    return company


@pytest.fixture
def leaking(leak):
    """Is water leaking? (yes/no) -> yes: how fast (choice, required) and a photo (required)."""
    asked = Question.objects.create(issue=leak, text="Is water leaking now?", kind="yes_no", required=True, position=1)
    speed = Question.objects.create(
        issue=leak,
        text="How fast?",
        kind="choice",
        choices=["drips", "flows"],
        required=True,
        position=2,
        show_if_question=asked,
        show_if_answer="yes",
    )
    photo = Question.objects.create(
        issue=leak, text="A photo of the leak", kind="photo", required=True, position=3, show_if_question=asked,
        show_if_answer="yes",
    )  # fmt: skip
    return asked, speed, photo


def _photo() -> str:
    return base64.b64encode(png_bytes()).decode()


def _book(api_client, leak, answers):
    return api_client.post_json("/api/v1/maintenance/bookings/", booking_body(issue=str(leak.id), answers=answers))


def test_the_desk_sets_a_condition_on_an_earlier_question(admin_client, leak):
    asked = admin_client.post_json(
        "/api/v1/maintenance/questions/",
        {"issue_id": str(leak.id), "text": "Is water leaking now?", "kind": "yes_no", "position": 1},
    ).json()
    made = admin_client.post_json(
        "/api/v1/maintenance/questions/",
        {
            "issue_id": str(leak.id),
            "text": "A photo of the leak",
            "kind": "photo",
            "position": 2,
            "show_if_question_id": asked["id"],
            "show_if_answer": "True",
        },
    )
    assert made.status_code == 201, made.json()
    assert made.json()["kind"] == "photo"
    assert made.json()["show_if_question_id"] == asked["id"]
    assert made.json()["show_if_answer"] == "yes"  # stored as the answer is stored
    cleared = admin_client.patch_json(
        f"/api/v1/maintenance/questions/{made.json()['id']}/", {"show_if_question_id": None}
    )
    assert cleared.status_code == 200, cleared.json()
    assert (cleared.json()["show_if_question_id"], cleared.json()["show_if_answer"]) == (None, "")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"position": 1}, "show_if_question_id"),  # not earlier
        ({"show_if_answer": "maybe"}, "show_if_answer"),  # not an answer the question accepts
        ({"show_if_answer": ""}, "show_if_answer"),
        ({"emergency_answer": "x"}, "emergency_answer"),  # a photo has no emergency answer
    ],
)
def test_a_condition_must_name_an_earlier_question_and_one_of_its_answers(admin_client, leak, change, field):
    asked = Question.objects.create(issue=leak, text="Leaking?", kind="yes_no", position=1)
    body = {
        "issue_id": str(leak.id),
        "text": "Photo",
        "kind": "photo",
        "position": 2,
        "show_if_question_id": str(asked.id),
        "show_if_answer": "yes",
        **change,
    }
    refused = admin_client.post_json("/api/v1/maintenance/questions/", body)
    assert refused.status_code == 400
    assert field in refused.json()["errors"]


def test_a_photo_answer_cannot_show_another_question(admin_client, leak):
    photo = Question.objects.create(issue=leak, text="Photo", kind="photo", position=1)
    refused = admin_client.post_json(
        "/api/v1/maintenance/questions/",
        {"text": "Then?", "position": 2, "show_if_question_id": str(photo.id), "show_if_answer": "x"},
    )
    assert refused.status_code == 400


def test_the_shown_questions_answered_with_a_photo_book_the_repair(api_client, leak, leaking):
    asked, speed, photo = leaking
    answers = [
        {"question_id": str(asked.id), "value": "yes"},
        {"question_id": str(speed.id), "value": "flows"},
        {"question_id": str(photo.id), "photo": _photo()},
    ]
    booked = _book(api_client, leak, answers)
    assert booked.status_code == 201, booked.json()
    saved = Response.objects.get(question=photo)
    assert saved.photo is not None
    assert saved.value == str(saved.photo.pk)
    assert saved.photo.content_type == "image/png"
    assert WorkOrderPhoto.objects.filter(work_order_id=booked.json()["id"]).count() == 1


def test_a_hidden_question_needs_no_answer(api_client, leak, leaking):
    asked, _speed, _photo_question = leaking
    booked = _book(api_client, leak, [{"question_id": str(asked.id), "value": "no"}])
    assert booked.status_code == 201, booked.json()


def test_an_answer_to_a_hidden_question_is_a_400_naming_it(api_client, leak, leaking):
    asked, speed, _photo_question = leaking
    answers = [{"question_id": str(asked.id), "value": "no"}, {"question_id": str(speed.id), "value": "drips"}]
    refused = _book(api_client, leak, answers)
    assert refused.status_code == 400
    assert "How fast?" in refused.json()["detail"]
    assert refused.json()["errors"] == {
        "answers.1.question_id": ["Asked only when the answer to “Is water leaking now?” is “yes”."]
    }
    assert not Response.objects.exists()


def test_a_required_shown_question_left_out_is_a_400(api_client, leak, leaking):
    asked, speed, photo = leaking
    answers = [{"question_id": str(asked.id), "value": "yes"}, {"question_id": str(speed.id), "value": "drips"}]
    refused = _book(api_client, leak, answers)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"answers": [str(photo.id)]}


@pytest.mark.parametrize(
    ("photo", "field"),
    [
        (base64.b64encode(b"not an image").decode(), "answers.2.value"),
        (base64.b64encode(png_bomb()).decode(), "answers.2.value"),  # the image check's pixel budget
        ("%%% not base64", "answers.2.photo"),
    ],
)
def test_a_photo_answer_gets_the_image_checks(api_client, leak, leaking, photo, field):
    asked, speed, question = leaking
    answers = [
        {"question_id": str(asked.id), "value": "yes"},
        {"question_id": str(speed.id), "value": "flows"},
        {"question_id": str(question.id), "photo": photo},
    ]
    refused = _book(api_client, leak, answers)
    assert refused.status_code == 400
    assert field in refused.json()["errors"]
    assert not WorkOrderPhoto.objects.exists()


def test_words_for_a_photo_question_and_a_photo_for_words_are_refused(api_client, leak, leaking):
    asked, speed, question = leaking
    words = _book(
        api_client,
        leak,
        [
            {"question_id": str(asked.id), "value": "yes"},
            {"question_id": str(speed.id), "value": "flows"},
            {"question_id": str(question.id), "value": "it is wet"},
        ],
    )
    assert words.status_code == 400
    assert words.json()["errors"] == {"answers.2.value": ["Send a photo."]}
    photo_for_words = _book(api_client, leak, [{"question_id": str(asked.id), "photo": _photo()}])
    assert photo_for_words.status_code == 400
    both = _book(api_client, leak, [{"question_id": str(asked.id), "value": "yes", "photo": _photo()}])
    assert both.status_code == 400


def test_a_later_answer_to_a_hidden_question_is_refused(api_client, leak, leaking):
    asked, speed, _photo_question = leaking
    booking = _book(api_client, leak, []).json()
    api_client.post_json("/api/responses", {"booking": booking["id"], "question": str(asked.id), "answer": "no"})
    refused = api_client.post_json(
        "/api/responses", {"booking": booking["id"], "question": str(speed.id), "answer": "drips"}
    )
    assert refused.status_code == 400
    assert "How fast?" in refused.json()["detail"]


def test_a_photo_cannot_be_sent_to_the_answers_endpoint(api_client, leak):
    photo = Question.objects.create(issue=leak, text="A photo", kind="photo", position=1)
    booking = _book(api_client, leak, []).json()
    refused = api_client.post_json(
        "/api/responses", {"booking": booking["id"], "question": str(photo.id), "answer": _photo()[:100]}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"answer": ["Send the photo with the booking."]}
