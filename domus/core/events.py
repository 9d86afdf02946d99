"""Domain events. A service publishes after its transaction commits; subscribers (in
other apps) receive the event through Celery, which runs eagerly (synchronously) in
the embedded default and in tests.

    # in domus/<app>/subscribers.py, imported by the app's AppConfig.ready()
    @subscribe("viewing.requested")
    def notify_agent(*, event: str, payload: dict) -> None: ...

    # in a service
    publish("viewing.requested", {"viewing_id": str(viewing.id)})
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

Handler = Callable[..., None]
_subscribers: dict[str, list[str]] = defaultdict(list)


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


def publish(event: str, payload: dict[str, Any]) -> None:
    """Deliver ``event`` to each subscriber once the current transaction commits.
    ``payload`` must be JSON-serialisable (ids as strings)."""

    def deliver() -> None:
        from domus.core.tasks import deliver_event

        for handler_path in subscribers_of(event):
            deliver_event.delay(handler_path, event, payload)

    # robust: a failing subscriber is logged and never fails the request that published.
    transaction.on_commit(deliver, robust=True)
