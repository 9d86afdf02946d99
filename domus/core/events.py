"""Domain events. A service publishes after its transaction commits; subscribers (in
other apps) receive the event through Celery, which runs eagerly (synchronously) in
the embedded default and in tests.

    # in domus/<app>/subscribers.py, imported by the app's AppConfig.ready()
    @subscribe("viewing.requested")
    def notify_agent(*, event: str, payload: dict) -> None: ...

    # in a service
    publish("viewing.requested", {"viewing_id": str(viewing.id)})

An event with one subscriber travels as one ``deliver_event`` job; an event with
several as one ``deliver_events`` job that runs each of them in turn and hands a
subscriber that fails to a ``deliver_event`` job of its own, which retries it alone
(the others ran once).

Each call of ``publish`` is one event with its own id (a UUID string). The id travels
beside the payload, in the job that delivers the event, so every subscriber of the
event, and every redelivery or retry of that job, sees the same id; a subscriber reads
it with ``current_event_id()`` and dedupes on it. Two calls are two events even when
their payloads are equal (a payment that fails twice). The payload stays the
publisher's own.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.db import transaction
from django.utils.module_loading import import_string

from domus.core.money import money_str

Handler = Callable[..., None]
_subscribers: dict[str, list[str]] = defaultdict(list)
_current_event_id: ContextVar[str | None] = ContextVar("domus_event_id", default=None)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as a subscriber of ``event``."""

    def register(handler: Handler) -> Handler:
        path = f"{handler.__module__}.{handler.__qualname__}"
        if path not in _subscribers[event]:
            _subscribers[event].append(path)
        return handler

    return register


def subscribers_of(event: str) -> list[str]:
    return list(_subscribers.get(event, ()))


def current_event_id() -> str | None:
    """The id of the event the running subscriber is handling (``None`` outside one)."""
    return _current_event_id.get()


def actor_id(actor: Any) -> str | None:
    """The id of a signed-in actor as events carry it; None for the system or anonymous callers."""
    return str(actor.pk) if getattr(actor, "is_authenticated", False) else None


def event_payload(
    row: Any, *, actor: Any, recipients: Iterable[Any], company_id: Any = None, **extra: Any
) -> dict[str, Any]:
    """The payload every domain event about ``row`` starts with: its id and company
    (``row.company_id`` unless given), who acted, whom to tell (never the actor), and what
    a notification shows without another call (the row's title or name, status, and its
    amount with the currency)."""
    acting = actor_id(actor)
    company = company_id if company_id is not None else getattr(row, "company_id", None)
    return {
        "id": str(row.pk),
        "company_id": str(company) if company else None,
        "actor_id": acting,
        "recipient_ids": sorted({str(r) for r in recipients if r is not None and str(r) != acting}),
        **_described(row),
        **extra,
    }


def _described(row: Any) -> dict[str, Any]:
    described = {
        name: value for name in ("title", "name", "status") if isinstance(value := getattr(row, name, None), str)
    }
    currency = getattr(row, "currency", None)
    for name in ("amount", "price", "total", "rent_amount"):
        value = getattr(row, name, None)
        if currency and isinstance(value, Decimal | int):
            described.update({name: money_str(value), "currency": currency})
    return described


def publish(event: str, payload: dict[str, Any], *, event_id: str | None = None) -> None:
    """Deliver ``event`` to each subscriber once the current transaction commits.
    ``payload`` must be JSON-serialisable (ids as strings). The event gets a new id
    unless the publisher passes one (to make a republished event the same event)."""
    event_id = str(event_id or uuid4())

    def deliver() -> None:
        from domus.core.tasks import deliver_event, deliver_events

        handlers = subscribers_of(event)
        if len(handlers) == 1:
            deliver_event.delay(handlers[0], event, payload, event_id)
        elif handlers:  # one message for all of them: one broker round trip per event
            deliver_events.delay(handlers, event, payload, event_id)

    # robust: a failing subscriber is logged and never fails the request that published.
    transaction.on_commit(deliver, robust=True)


def run_subscriber(handler_path: str, *, event: str, payload: dict[str, Any], event_id: str | None) -> None:
    """Run one subscriber of an event with the event's id in context."""
    token = _current_event_id.set(event_id)
    try:
        import_string(handler_path)(event=event, payload=payload)
    finally:
        _current_event_id.reset(token)
