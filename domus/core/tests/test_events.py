import pytest

from domus.core import events
from domus.core.tasks import deliver_event, deliver_events

RAN: list[str] = []


def first(*, event, payload):
    RAN.append(f"first {events.current_event_id()}")


def failing(*, event, payload):
    RAN.append("failing")
    raise RuntimeError("down")


def last(*, event, payload):
    RAN.append(f"last {events.current_event_id()}")


@pytest.fixture
def subscribed(monkeypatch):
    RAN.clear()
    several = [f"{__name__}.{f.__name__}" for f in (first, failing, last)]
    monkeypatch.setitem(events._subscribers, "test.several", several)
    monkeypatch.setitem(events._subscribers, "test.one", [f"{__name__}.first"])
    sent: list[tuple] = []
    monkeypatch.setattr(deliver_event, "delay", lambda *args: sent.append(("deliver_event", *args)))
    monkeypatch.setattr(deliver_events, "delay", lambda *args: sent.append(("deliver_events", *args)))
    return sent


@pytest.mark.django_db
def test_an_event_is_one_message_whatever_its_subscribers(subscribed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("test.one", {"id": "1"}, event_id="e1")
        events.publish("test.several", {"id": "2"}, event_id="e2")
        events.publish("test.nobody", {"id": "3"})

    paths = [f"{__name__}.{f.__name__}" for f in (first, failing, last)]
    assert subscribed == [
        ("deliver_event", f"{__name__}.first", "test.one", {"id": "1"}, "e1"),
        ("deliver_events", paths, "test.several", {"id": "2"}, "e2"),
    ]


def test_each_subscriber_runs_once_and_a_failing_one_is_retried_alone(subscribed):
    deliver_events.run([f"{__name__}.{f.__name__}" for f in (first, failing, last)], "test.several", {}, "e9")

    assert RAN == ["first e9", "failing", "last e9"]  # the others ran, with the event's id
    assert subscribed == [("deliver_event", f"{__name__}.failing", "test.several", {}, "e9")]  # its own job


def test_a_delivery_message_shows_its_arguments_as_celerys_saferepr_would(monkeypatch):
    """``EventTask`` writes the message's ``argsrepr`` itself (``repr``, cut at Celery's
    1,024 characters) rather than through Celery's slower ``saferepr``: the same text."""
    from celery import Task
    from celery.utils.saferepr import saferepr

    sent: list[dict] = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, **options: sent.append(options))
    args = ([f"{__name__}.first"], "test.one", {"id": "1", "amount": "10.00", "ids": ["a", "b"]}, "e1")
    deliver_events.delay(*args)
    deliver_event.delay("x.y", "test.big", {"note": "n" * 5000}, "e2")

    assert sent[0]["argsrepr"] == repr(args) == saferepr(args)
    assert sent[0]["kwargsrepr"] == "{}"
    assert len(sent[1]["argsrepr"]) == 1024
    assert sent[1]["argsrepr"].startswith("('x.y', 'test.big', {'note': 'nnn")
    assert sent[1]["argsrepr"].endswith("...")
