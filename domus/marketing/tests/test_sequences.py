"""Nurturing sequences: pause and resume (at the step, the wait counted from the
resume), automatic exit on a viewing, edits that never re-run passed steps, re-entry."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from domus.crm.services import lead_activity_create, lead_update
from domus.marketing import services
from domus.marketing.models import Enrolment, Sequence, Touch
from domus.properties.tests.factories import ListingFactory

Delivery = apps.get_model("communications", "Delivery")
SEQUENCES = "/api/v1/marketing/sequences/"
STEPS = [
    {"id": "hello", "type": "send", "channel": "email", "subject": "Welcome", "body": "Hello {{ lead.first_name }}"},
    {"id": "wait2", "type": "wait", "days": 2},
    {"id": "nudge", "type": "send", "channel": "sms", "body": "Still looking, {{ lead.first_name }}?"},
    {"id": "wait1", "type": "wait", "days": 1},
    {"id": "call", "type": "task", "title": "Call the lead"},
    {"id": "done", "type": "end"},
]


@pytest.fixture
def sequence(client_for, staff):
    response = client_for(staff).post_json(SEQUENCES, {"name": "New buyers", "steps": STEPS})
    assert response.status_code == 201, response.content
    return Sequence.objects.get(pk=response.json()["id"])


def _enrol(staff, sequence, lead, now):
    result = services.sequence_enrol(actor=staff, sequence=sequence, lead_ids=[lead.pk], now=now)
    assert result["enrolled"], result
    enrolment = Enrolment.objects.get(pk=result["enrolled"][0])
    services.enrolment_advance(enrolment_id=enrolment.pk, now=now)
    enrolment.refresh_from_db()
    return enrolment


def _sent_steps(enrolment):
    return sorted(Touch.objects.filter(enrolment=enrolment, status="queued").values_list("step", flat=True))


def test_a_paused_walk_resumes_at_its_step_with_the_wait_counted_from_the_resume(staff, sequence, reachable_leads):
    lead = reachable_leads(1)[0]
    t0 = timezone.now()
    enrolment = _enrol(staff, sequence, lead, t0)
    assert (enrolment.current_step, enrolment.waiting) == ("wait2", True)
    assert enrolment.due_at == t0 + timedelta(days=2)
    assert _sent_steps(enrolment) == ["hello"]

    # Paused one day into the two-day wait, resumed on day 5: the wait starts over then.
    services.enrolment_pause(actor=staff, enrolment=enrolment, action="pause", now=t0 + timedelta(days=1))
    services.enrolments_advance_due(now=t0 + timedelta(days=3))  # paused: nothing moves
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.current_step) == ("paused", "wait2")
    resume = t0 + timedelta(days=5)
    services.enrolment_pause(actor=staff, enrolment=enrolment, action="resume", now=resume)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.current_step) == ("active", "wait2")
    assert enrolment.due_at == resume + timedelta(days=2)

    services.enrolments_advance_due(now=resume + timedelta(days=1))
    enrolment.refresh_from_db()
    assert enrolment.current_step == "wait2"
    assert _sent_steps(enrolment) == ["hello"]
    services.enrolments_advance_due(now=resume + timedelta(days=2))
    enrolment.refresh_from_db()
    assert enrolment.current_step == "wait1"
    assert _sent_steps(enrolment) == ["hello", "nudge"]
    assert enrolment.passed_steps == ["hello", "wait2", "nudge"]

    services.enrolments_advance_due(now=resume + timedelta(days=3))
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.passed_steps[-1]) == ("completed", "done")
    # Every message went once, through the communications service.
    assert Delivery.objects.filter(lead_id=lead.pk).count() == 2


def test_pausing_the_whole_sequence_by_its_pause_route(client_for, staff, sequence, reachable_leads):
    lead = reachable_leads(1)[0]
    t0 = timezone.now()
    enrolment = _enrol(staff, sequence, lead, t0)
    api = client_for(staff)
    paused = api.post_json(f"/api/v1/nurturing/sequences/{sequence.pk}/pause", {"action": "pause"})
    assert paused.status_code == 200, paused.content
    assert paused.json()["status"] == "paused"
    services.enrolments_advance_due(now=t0 + timedelta(days=10))
    enrolment.refresh_from_db()
    assert enrolment.current_step == "wait2"
    resumed = api.post_json(f"/api/v1/nurturing/sequences/{sequence.pk}/pause", {"action": "resume"})
    assert resumed.json()["status"] == "active"
    enrolment.refresh_from_db()
    assert enrolment.due_at > t0 + timedelta(days=1)  # the whole wait again, from the resume
    # One lead's walk by the same route.
    one = api.post_json(f"{SEQUENCES}{sequence.pk}/pause/", {"action": "pause", "lead_id": str(lead.pk)})
    assert one.status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.status == "paused"


def test_a_lead_who_books_a_viewing_leaves_the_sequence(
    staff, company, agent, sequence, reachable_leads, django_capture_on_commit_callbacks
):
    from domus.properties.services.visits import visit_create

    lead = reachable_leads(1)[0]
    enrolment = _enrol(staff, sequence, lead, timezone.now())
    listing = ListingFactory(company=company, agent=agent, owner=agent)
    start = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        visit_create(actor=lead.user, listing_id=listing.pk, starts_at=start, ends_at=start + timedelta(hours=1))
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.exit_reason) == ("exited", "viewing")
    services.enrolments_advance_due(now=timezone.now() + timedelta(days=30))
    assert _sent_steps(enrolment) == ["hello"]


def test_an_edit_to_a_running_sequence_never_reruns_passed_steps(staff, sequence, reachable_leads):
    first, later = reachable_leads(2)
    t0 = timezone.now()
    enrolment = _enrol(staff, sequence, first, t0)
    assert enrolment.current_step == "wait2"
    # A new first step, a changed greeting, and the "nudge" step removed.
    edited = [
        {"id": "intro", "type": "send", "channel": "sms", "body": "A new intro"},
        {**STEPS[0], "body": "A better hello"},
        STEPS[1],
        STEPS[3],
        STEPS[4],
        STEPS[5],
    ]
    services.sequence_update(actor=staff, sequence=sequence, steps=edited)
    services.enrolments_advance_due(now=t0 + timedelta(days=2))
    enrolment.refresh_from_db()
    assert enrolment.current_step == "wait1"
    assert _sent_steps(enrolment) == ["hello"]  # neither the new intro nor the hello again
    # A lead enrolled after the edit walks the new steps.
    fresh = _enrol(staff, sequence, later, t0)
    assert _sent_steps(fresh) == ["hello", "intro"]
    assert Touch.objects.get(enrolment=fresh, step="hello").delivery.body.startswith("A better hello")
    # Removing the step a lead is on moves it to the next one still there.
    services.sequence_update(actor=staff, sequence=sequence, steps=[edited[0], edited[1], STEPS[4], STEPS[5]])
    enrolment.refresh_from_db()
    assert enrolment.current_step == "call"


def test_each_lead_enters_once_unless_reentry_after_a_cooldown(staff, sequence, reachable_leads):
    lead = reachable_leads(1)[0]
    services.sequence_enrol(actor=staff, sequence=sequence, lead_ids=[lead.pk])
    again = services.sequence_enrol(actor=staff, sequence=sequence, lead_ids=[lead.pk])
    assert again["refused"] == {str(lead.pk): "Already in this sequence."}
    Enrolment.objects.filter(lead_id=lead.pk).update(status="completed", ended_at=timezone.now())
    assert services.sequence_enrol(actor=staff, sequence=sequence, lead_ids=[lead.pk])["refused"]
    services.sequence_update(actor=staff, sequence=sequence, reentry_allowed=True, reentry_cooldown_days=7)
    sequence.refresh_from_db()
    cooling = services.sequence_enrol(actor=staff, sequence=sequence, lead_ids=[lead.pk])
    assert "cooldown" in cooling["refused"][str(lead.pk)]
    Enrolment.objects.filter(lead_id=lead.pk).update(ended_at=timezone.now() - timedelta(days=8))
    assert services.sequence_enrol(actor=staff, sequence=sequence, lead_ids=[lead.pk])["enrolled"]


def test_a_call_with_the_agent_pauses_and_a_won_lead_exits(
    staff, sequence, reachable_leads, django_capture_on_commit_callbacks
):
    talked, won = reachable_leads(2)
    first = _enrol(staff, sequence, talked, timezone.now())
    second = _enrol(staff, sequence, won, timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        lead_activity_create(actor=staff, lead=talked, kind="call", note="Spoke about budget")
        lead_update(actor=staff, lead=won, status="won")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.pause_reason) == ("paused", "The agent and the lead talked.")
    assert (second.status, second.exit_reason) == ("exited", "converted")


def test_condition_and_branch_steps(staff, company, reachable_leads):
    lead = reachable_leads(1)[0]
    sequence = services.sequence_create(
        actor=staff,
        name="Qualify",
        steps=[
            {"id": "check", "type": "branch", "condition": {"min_score": 90}, "then": "hot", "otherwise": "warm"},
            {"id": "hot", "type": "send", "channel": "sms", "body": "Call us now"},
            {"id": "warm", "type": "send", "channel": "sms", "body": "Here are some homes"},
            {"id": "gate", "type": "condition", "condition": {"statuses": ["qualified"]}},
            {"id": "after", "type": "send", "channel": "email", "body": "Only for qualified leads"},
        ],
    )
    enrolment = _enrol(staff, sequence, lead, timezone.now())
    assert _sent_steps(enrolment) == ["warm"]
    assert enrolment.status == "completed"
    assert enrolment.exit_reason == "Condition of step gate not met."


def test_steps_must_be_well_formed(client_for, staff):
    api = client_for(staff)
    backwards = [
        {"id": "a", "type": "send", "channel": "sms", "body": "x"},
        {"id": "b", "type": "branch", "condition": {"min_score": 1}, "then": "a", "otherwise": "a"},
    ]
    assert api.post_json(SEQUENCES, {"name": "x", "steps": backwards}).status_code == 400
    assert api.post_json(SEQUENCES, {"name": "x", "steps": [{"id": "a", "type": "send"}]}).status_code == 400
    assert api.post_json(SEQUENCES, {"name": "x", "steps": [{"id": "a", "type": "end", "bogus": 1}]}).status_code == 400
