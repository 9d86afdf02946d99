"""Issue presets, "other" issues and questions: admin CRUD at the back office's paths,
signed-in reads; answers validated against the question's type."""

import pytest

from domus.maintenance.models import Question, Response
from domus.maintenance.tests.helpers import booking_body


@pytest.mark.django_db
def test_admin_manages_presets_at_the_back_office_paths(admin_client, user_client, api_client):
    created = admin_client.post_json(
        "/api/issues",
        {"name": "Broken lock", "category": "security", "default_priority": "high", "typical_parts": []},
    )
    assert created.status_code == 201, created.json()
    issue_id = created.json()["id"]
    assert user_client.get(f"/api/issues/{issue_id}").json()["default_priority"] == "high"
    assert api_client.get("/api/issues").status_code == 401
    assert user_client.post_json("/api/issues", {"name": "x"}).status_code == 403
    patched = admin_client.patch_json(f"/api/issues/{issue_id}", {"default_priority": "low"})
    assert patched.json()["default_priority"] == "low"
    assert admin_client.delete(f"/api/issues/{issue_id}").status_code == 204
    assert user_client.get(f"/api/issues/{issue_id}").status_code == 404


@pytest.mark.django_db
def test_other_issues_crud(admin_client, user_client):
    row = admin_client.post_json("/api/otherissues", {"name": "Strange noise"}).json()
    assert user_client.get("/api/otherissues").json()["count"] == 1
    assert admin_client.put_json(f"/api/otherissues/{row['id']}", {"name": "Odd noise"}).json()["name"] == "Odd noise"


@pytest.mark.django_db
def test_a_choice_question_needs_choices_and_its_emergency_answer_is_one(admin_client, leak):
    missing = admin_client.post_json("/api/questions", {"text": "Where?", "kind": "choice"})
    assert missing.status_code == 400
    assert "choices" in missing.json()["errors"]
    wrong = admin_client.post_json(
        "/api/questions", {"text": "Where?", "kind": "choice", "choices": ["kitchen"], "emergency_answer": "roof"}
    )
    assert wrong.status_code == 400
    made = admin_client.post_json(
        "/api/questions",
        {"issue_id": str(leak.id), "text": "Where?", "kind": "choice", "choices": ["kitchen", "bath"]},
    )
    assert made.status_code == 201


@pytest.mark.django_db
def test_responses_are_checked_against_the_question_type(api_client, admin_client, user_client, company):
    number = Question.objects.create(text="How many taps?", kind="number")
    booking = api_client.post_json("/api/bookings", booking_body()).json()
    bad = api_client.post_json("/api/responses", {"booking": booking["id"], "question": str(number.id), "answer": "x"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"answer": ["Must be a number."]}
    good = api_client.post_json("/api/responses", {"booking": booking["id"], "question": str(number.id), "answer": "2"})
    assert good.status_code == 201
    again = api_client.post_json(
        "/api/responses", {"booking": booking["id"], "question": str(number.id), "answer": "3"}
    )
    assert again.status_code == 409
    assert user_client.get("/api/responses").status_code == 403
    listed = admin_client.get(f"/api/responses?booking={booking['id']}").json()
    assert listed["count"] == 1
    assert listed["results"][0]["answer"] == "2"
    assert admin_client.get(f"/api/responses/{good.json()['id']}").status_code == 200
    assert Response.objects.count() == 1
