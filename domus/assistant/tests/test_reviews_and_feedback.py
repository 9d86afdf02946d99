"""The human review queue (approve, correct, reject; a correction becomes a knowledge
article; the asker is told) and feedback with its CSV export."""

from django.apps import apps

from domus.assistant.models import Feedback, Review
from domus.assistant.tests.helpers import HOUSE_RULES, upload_pdf

SESSIONS = "/api/v1/assistant/chat/sessions/"
REVIEWS = "/api/v1/assistant/reviews/"


def _answer(client, question: str) -> dict:
    session = client.post_json(SESSIONS, {"title": "Help"}).json()
    return client.post_json(f"{SESSIONS}{session['id']}/messages/", {"content": question}).json()


def test_a_tenant_asks_for_review_and_staff_correct_it_into_an_article(client_for, staff, tenant, lease):
    upload_pdf(client_for(staff), *HOUSE_RULES, lease_id=lease.pk)
    tenant_client = client_for(tenant)
    answer = _answer(tenant_client, "Can I use the pool at 10pm?")
    review = tenant_client.post_json("/api/v1/expertise/reviews/", {"message_id": answer["message_id"]})
    assert review.status_code == 201
    review_id = review.json()["id"]
    assert review.json()["question"] == "Can I use the pool at 10pm?"
    assert tenant_client.patch_json(f"{REVIEWS}{review_id}/", {"decision": "approve"}).status_code == 403

    response = client_for(staff).patch_json(
        f"/api/expertise/reviews/{review_id}/",
        {"decision": "correct", "corrected_answer": "No: the pool closes at 9pm; quiet hours start at 10pm."},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "corrected"
    article = client_for(tenant).get(f"/api/v1/documents/knowledge/{body['article_id']}/").json()
    assert article["source"] == "review"
    assert article["is_published"] is True
    notification = apps.get_model("communications", "Notification").objects.get(recipient=tenant)
    assert notification.data["review_id"] == review_id
    again = client_for(staff).patch_json(f"{REVIEWS}{review_id}/", {"decision": "reject"})
    assert again.status_code == 409


def test_other_companies_never_see_or_decide_a_review(client_for, staff, other_staff, stranger):
    answer = _answer(client_for(staff), "Where are the bins?")
    review_id = client_for(staff).post_json(REVIEWS, {"message_id": answer["message_id"]}).json()["id"]
    for outsider in (other_staff, stranger):
        assert client_for(outsider).get(f"{REVIEWS}{review_id}/").status_code == 404
        assert client_for(outsider).patch_json(f"{REVIEWS}{review_id}/", {"decision": "reject"}).status_code == 404
        assert client_for(outsider).get(REVIEWS).json()["results"] == []
    assert Review.objects.get(pk=review_id).status == "pending"


def test_a_review_of_someone_elses_answer_is_refused(client_for, staff, stranger):
    answer = _answer(client_for(staff), "Where are the bins?")
    response = client_for(stranger).post_json(REVIEWS, {"message_id": answer["message_id"]})
    assert response.status_code == 404
    assert not Review.objects.filter(asker=stranger).exists()


def test_feedback_and_its_csv_export_for_staff(client_for, staff, tenant, stranger, lease):
    answer = _answer(client_for(tenant), "When is refuse collected?")
    response = client_for(tenant).post_json(
        "/api/v1/feedback/", {"message_id": answer["message_id"], "rating": 2, "comment": "=HYPERLINK(evil)"}
    )
    assert response.status_code == 201
    client_for(stranger).post_json("/api/feedback/", {"kind": "feature", "feature": "chat", "rating": 5})
    assert client_for(tenant).post_json("/api/feedback/", {"rating": 9}).status_code == 400
    assert client_for(tenant).get("/api/v1/feedback/export/").status_code == 403

    from domus.organizations.tests.factories import MembershipFactory

    MembershipFactory(company=lease.company, user=tenant, role="tenant")
    Feedback.objects.update(company=lease.company)
    Feedback.objects.filter(user=stranger).update(company=None)
    export = client_for(staff).get("/api/feedback/export/")
    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv"
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,created_at,user_email")
    assert len(lines) == 2  # the stranger's feedback is not the company's
    assert "'=HYPERLINK(evil)" in lines[1]
