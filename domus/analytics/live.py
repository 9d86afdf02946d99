"""Live dashboard frames on the ``dashboard`` WebSocket channel, coalesced.

Whatever changes dashboard numbers (a domain event, a roll-up refresh) sends a small
``dashboard.changed`` notice to the dashboard groups it concerns; nothing is computed
then. Each subscribed socket keeps a ``DashboardFeed`` that turns the notices it gets
into at most one frame per ``ANALYTICS_LIVE_INTERVAL_SECONDS``: the first at once, the
ones that arrive within the interval merged into one sent when it ends. The numbers
(the caller's overview and today's counters) are computed only then, only for sockets
that watch the dashboard, and the overview comes from the roll-up cache shared by every
socket of the same scope."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import UUID

from channels.db import database_sync_to_async
from django.conf import settings

NUMBERS_CHANGED = "numbers.changed"


def notice(event: str, payload: dict[str, Any], *, company_id: Any) -> dict[str, Any]:
    """The channel-layer message a dashboard group gets when numbers may have changed."""
    return {"type": "dashboard.changed", "event": event, "data": payload, "company_id": company_id}


def numbers_changed(*, company_ids: Iterable[UUID | None]) -> None:
    """Tell the dashboards of these companies, and the admins', that roll-ups changed."""
    from domus.communications import realtime

    ids = [str(cid) if cid else None for cid in company_ids]
    layer_send = realtime.send_message
    layer_send(realtime.dashboard_group(None), notice(NUMBERS_CHANGED, {"company_ids": ids}, company_id=None))
    for cid in ids:
        if cid:
            layer_send(realtime.dashboard_group(cid), notice(NUMBERS_CHANGED, {"company_ids": [cid]}, company_id=cid))


def _numbers(user: Any, company_id: str | None) -> dict[str, Any]:
    from domus.analytics import selectors
    from domus.communications.subscribers import dashboard_kpis

    period, shown = selectors.resolve_period(start=None, end=None, name=None)
    return {
        "kpis": dashboard_kpis(company_id=company_id),
        "overview": selectors.overview(actor=user, period=period, shown=shown),
    }


class DashboardFeed:
    """One socket's dashboard frames: at most one per interval, computed when sent."""

    def __init__(self, *, user: Any, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.user = user
        self.send = send
        self.interval = float(settings.ANALYTICS_LIVE_INTERVAL_SECONDS)
        self.last_sent = float("-inf")
        self.pending: list[dict[str, Any]] = []
        self.task: asyncio.Task | None = None
        self.frames = 0

    def changed(self, message: dict[str, Any]) -> None:
        self.pending.append(message)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while self.pending:
            wait = self.last_sent + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            batch, self.pending = self.pending, []
            # The event a frame names: the last domain event of the batch, else the refresh.
            named = [m for m in batch if m["event"] != NUMBERS_CHANGED] or batch
            last = named[-1]
            numbers = await database_sync_to_async(_numbers)(self.user, last.get("company_id"))
            self.last_sent = time.monotonic()
            self.frames += 1
            await self.send(
                {
                    "type": "dashboard",
                    "channel": "dashboard",
                    "event": last["event"],
                    "data": last["data"],
                    "coalesced": len(batch),
                    **numbers,
                }
            )

    def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.pending = []
