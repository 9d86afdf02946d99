"""An approval threshold is read and deleted by the staff of its company only; the
question list is searched by the question's text (presets and "other" issues by name)."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.maintenance.models import ApprovalThreshold, IssuePreset, Question, QuestionKind


@pytest.mark.django_db
def test_staff_delete_their_companys_threshold_and_nobody_else_sees_it(client_for, company, staff):
    made = client_for(staff).post_json(
        "/api/v1/maintenance/approval-thresholds/", {"company_id": str(company.id), "amount": "10000.00"}
    )
    path = f"/api/v1/maintenance/approval-thresholds/{made.json()['id']}/"
    outsider = client_for(UserFactory()).delete(path)
    assert outsider.status_code == 404, outsider.json()
    assert ApprovalThreshold.objects.count() == 1
    assert client_for(staff).delete(path).status_code == 204
    assert not ApprovalThreshold.objects.exists()
    assert client_for(staff).delete(path).status_code == 404


@pytest.mark.django_db
def test_questions_are_searched_by_text_and_presets_by_name(admin_client):
    preset = IssuePreset.objects.create(name="Leaking pipe", category="plumbing")
    Question.objects.create(issue=preset, text="Is water near electrics?", kind=QuestionKind.YES_NO)
    Question.objects.create(issue=preset, text="Which room?", kind=QuestionKind.TEXT)
    found = admin_client.get("/api/v1/maintenance/questions/?search=electrics")
    assert found.status_code == 200, found.json()
    assert [row["text"] for row in found.json()["results"]] == ["Is water near electrics?"]
    presets = admin_client.get("/api/v1/maintenance/issues/?search=pipe").json()
    assert [row["name"] for row in presets["results"]] == ["Leaking pipe"]
