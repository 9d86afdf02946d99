from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.db import transaction

from domus.core.events import event_payload, publish, subscribe, subscribers_of

received: list[tuple[str, dict]] = []


@subscribe("test.thing_happened")
def remember(*, event: str, payload: dict) -> None:
    received.append((event, payload))


@subscribe("test.thing_failed")
def explode(*, event: str, payload: dict) -> None:
    raise RuntimeError("subscriber bug")


@pytest.fixture(autouse=True)
def _reset():
    received.clear()


def test_subscribing_twice_registers_once():
    subscribe("test.thing_happened")(remember)
    assert subscribers_of("test.thing_happened") == ["tests.test_events.remember"]


@pytest.mark.django_db
def test_published_events_reach_subscribers_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish("test.thing_happened", {"id": "42"})
        assert received == []
    assert received == [("test.thing_happened", {"id": "42"})]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_work_publishes_nothing():
    def work() -> None:
        with transaction.atomic():
            publish("test.thing_happened", {"id": "1"})
            raise ValueError("roll back")

    with pytest.raises(ValueError, match="roll back"):
        work()
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_does_not_fail_the_publisher(caplog):
    with transaction.atomic():
        publish("test.thing_failed", {})
        publish("test.thing_happened", {"id": "7"})
    assert received == [("test.thing_happened", {"id": "7"})]


def test_an_event_payload_tells_everyone_but_the_actor():
    actor = SimpleNamespace(pk=uuid4(), is_authenticated=True)
    other = uuid4()
    row = SimpleNamespace(pk=uuid4(), company_id=uuid4())

    payload = event_payload(row, actor=actor, recipients=[actor.pk, other, None, other], number="INV-1")

    assert payload == {
        "id": str(row.pk),
        "company_id": str(row.company_id),
        "actor_id": str(actor.pk),
        "recipient_ids": [str(other)],
        "number": "INV-1",
    }


def test_an_event_of_the_system_has_no_actor_and_may_name_its_company():
    row, company, user = SimpleNamespace(pk=uuid4()), uuid4(), uuid4()

    payload = event_payload(row, actor=None, recipients=[user], company_id=company)

    assert (payload["actor_id"], payload["company_id"], payload["recipient_ids"]) == (None, str(company), [str(user)])
