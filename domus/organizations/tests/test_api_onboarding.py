"""Onboarding: draft -> submitted -> verified -> active, the rejection back to draft,
every refused move (409 with the reason), its audit rows and its event."""

import pytest
from django.db import transaction

from domus.core.events import subscribe
from domus.organizations.models import Company
from domus.organizations.services import ONBOARDING_EVENT
from domus.organizations.tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

received: list[dict] = []


def remember_onboarding(*, event: str, payload: dict) -> None:
    received.append({"event": event, **payload})


@pytest.fixture
def onboarding_events() -> list[dict]:
    subscribe(ONBOARDING_EVENT)(remember_onboarding)
    received.clear()
    return received


def onboard(client, company, step=None, note=None):
    body = {}
    if step is not None:
        body["step"] = step
    if note is not None:
        body["note"] = note
    return client.post_json(f"/api/v1/organizations/companies/{company.id}/onboard/", body)


def status_of(company) -> str:
    return Company.objects.values_list("status", flat=True).get(pk=company.pk)


def test_full_flow_with_default_steps(staff_a_client, admin_client, company_a, audit_log, staff_a, admin_user):
    submitted = onboard(staff_a_client, company_a)
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"] is not None

    verified = onboard(admin_client, company_a)
    assert verified.status_code == 200, verified.content
    assert verified.json()["status"] == "verified"
    assert verified.json()["verified_at"] is not None

    BranchFactory(company=company_a)
    activated = onboard(staff_a_client, company_a)
    assert activated.status_code == 200, activated.content
    assert activated.json()["status"] == "active"
    assert activated.json()["activated_at"] is not None

    rows = audit_log.objects.filter(company_id=company_a.id, action__startswith="onboard.").order_by("created_at")
    assert [(r.action, r.actor_id) for r in rows] == [
        ("onboard.submit", staff_a.id),
        ("onboard.verify", admin_user.id),
        ("onboard.activate", staff_a.id),
    ]
    assert rows[0].changes["status"] == {"before": "draft", "after": "submitted"}
    assert rows[0].resource_type == "organizations.company"


def test_explicit_steps_and_admin_reject(staff_a_client, admin_client, company_a):
    assert onboard(staff_a_client, company_a, "submit").status_code == 200

    rejected = onboard(admin_client, company_a, "reject", "The registration number does not match the register.")

    assert rejected.status_code == 200, rejected.content
    body = rejected.json()
    assert body["status"] == "draft"
    assert body["onboarding_note"] == "The registration number does not match the register."
    assert body["submitted_at"] is None
    # back in draft, the staff can fix and submit again
    assert onboard(staff_a_client, company_a, "submit").json()["status"] == "submitted"


def test_submit_lists_every_missing_field(staff_a_client, company_a):
    Company.objects.filter(pk=company_a.pk).update(legal_name="", registration_number=" ", country="", phone="")

    response = onboard(staff_a_client, company_a, "submit")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "CONFLICT_ERROR"
    assert set(body["errors"]) == {"legal_name", "registration_number", "country", "phone"}
    assert "legal_name" in body["detail"]
    assert status_of(company_a) == "draft"


def test_activation_needs_an_active_branch(staff_a_client, company_a):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.VERIFIED)
    BranchFactory(company=company_a, is_active=False)

    response = onboard(staff_a_client, company_a, "activate")

    assert response.status_code == 409
    assert "active branch" in response.json()["detail"]
    assert status_of(company_a) == "verified"


def test_a_deleted_branch_does_not_count_for_activation(staff_a_client, company_a):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.VERIFIED)
    branch = BranchFactory(company=company_a)
    branch.deleted_at = branch.created_at
    branch.save()

    assert onboard(staff_a_client, company_a, "activate").status_code == 409


@pytest.mark.parametrize(
    ("status", "step", "allowed"),
    [
        ("draft", "verify", "submit"),
        ("draft", "activate", "submit"),
        ("draft", "reject", "submit"),
        ("submitted", "submit", "verify, reject"),
        ("submitted", "activate", "verify, reject"),
        ("verified", "submit", "activate"),
        ("verified", "verify", "activate"),
        ("verified", "reject", "activate"),
        ("active", "submit", "none"),
        ("active", "activate", "none"),
        ("active", None, "none"),
        ("suspended", None, "none"),
    ],
)
def test_moves_the_status_does_not_allow_are_409(admin_client, company_a, status, step, allowed):
    Company.objects.filter(pk=company_a.pk).update(status=status)
    BranchFactory(company=company_a)

    response = onboard(admin_client, company_a, step, "a note")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "CONFLICT_ERROR"
    assert f"Allowed next steps: {allowed}." in response.json()["detail"]
    assert status_of(company_a) == status


def test_only_admins_verify(staff_a_client, company_a):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.SUBMITTED)

    explicit = onboard(staff_a_client, company_a, "verify")
    default = onboard(staff_a_client, company_a)

    assert (explicit.status_code, default.status_code) == (403, 403)
    assert "platform admin" in explicit.json()["detail"]
    assert status_of(company_a) == "submitted"


def test_only_admins_reject(staff_a_client, company_a):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.SUBMITTED)

    assert onboard(staff_a_client, company_a, "reject", "no").status_code == 403
    assert status_of(company_a) == "submitted"


def test_reject_needs_a_note(admin_client, company_a, audit_log):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.SUBMITTED)

    response = onboard(admin_client, company_a, "reject", "   ")

    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert status_of(company_a) == "submitted"
    assert not audit_log.objects.filter(action__startswith="onboard.").exists()


def test_agent_member_cannot_submit(agent_a_client, company_a):
    response = onboard(agent_a_client, company_a, "submit")

    assert response.status_code == 403
    assert status_of(company_a) == "draft"


def test_unknown_step_is_400(staff_a_client, company_a):
    response = onboard(staff_a_client, company_a, "approve")

    assert response.status_code == 400
    assert "step" in response.json()["errors"]


def test_admin_submits_for_a_company(admin_client, company_b):
    assert onboard(admin_client, company_b, "submit").json()["status"] == "submitted"


def test_each_step_publishes_an_event_after_commit(
    staff_a_client, admin_client, company_a, staff_a, admin_user, onboarding_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        onboard(staff_a_client, company_a, "submit")
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        onboard(admin_client, company_a, "reject", "Incomplete papers")

    assert onboarding_events == [
        {
            "event": ONBOARDING_EVENT,
            "company_id": str(company_a.id),
            "step": "submit",
            "from_status": "draft",
            "to_status": "submitted",
            "actor_id": str(staff_a.id),
            "note": "",
        },
        {
            "event": ONBOARDING_EVENT,
            "company_id": str(company_a.id),
            "step": "reject",
            "from_status": "submitted",
            "to_status": "draft",
            "actor_id": str(admin_user.id),
            "note": "Incomplete papers",
        },
    ]


def test_a_refused_step_publishes_nothing(
    staff_a_client, company_a, onboarding_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = onboard(staff_a_client, company_a, "activate")

    assert response.status_code == 409
    assert callbacks == []
    assert onboarding_events == []


def test_service_default_step_and_lock(company_a, admin_user, onboarding_events, django_capture_on_commit_callbacks):
    from domus.organizations.services import company_onboard

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        company = company_onboard(actor=admin_user, company=company_a)

    assert company.status == "submitted"
    assert company_a.status == "draft"  # the caller's copy is stale; the service answers the locked row
    assert [e["step"] for e in onboarding_events] == ["submit"]
