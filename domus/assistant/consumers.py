"""The assistant's WebSockets.

``chat/stream/{session_id}``: the owner of a chat session sends
``{"type": "message", "content": "..."}`` and receives ``{"type": "typing", "state": "start"}``,
the answer in ``{"type": "chunk", "content": "..."}`` frames, ``{"type": "typing", "state":
"stop"}``, then ``{"type": "message", ...}`` with the whole answer, its citations (document
version ids) and tool results; both turns are saved in the transcript.

``ml/stream``: ``{"type": "job", "job_id", "kind", "status", "progress", "total"}`` frames
for the caller's background jobs (the index rebuild, and every ops job: imports, reindex,
maintenance; those frames come at most once a second per job between status changes).

Both take the access token like ``/ws/`` (subprotocol or ``?token=``) and close with 4401
without one; ``{"type": "ping"}`` answers ``{"type": "pong"}``."""

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from domus.assistant import selectors
from domus.assistant.services import assist
from domus.assistant.services.index import ml_group
from domus.communications.consumers import AUTH_ERRORS, UNAUTHENTICATED_CLOSE_CODE
from domus.core.exceptions import DomusError

NOT_FOUND_CLOSE_CODE = 4404
MAX_FRAME_BYTES = 8 * 1024
MAX_QUESTION = 2000


class _Authenticated(AsyncWebsocketConsumer):
    async def _admit(self) -> Any:
        user = self.scope.get("user")
        await self.accept(subprotocol=self.scope.get("accepted_subprotocol"))
        if not getattr(user, "is_authenticated", False):
            code = self.scope.get("auth_error") or "token_missing"
            await self._send(
                {"type": "error", "code": code, "detail": AUTH_ERRORS.get(code, AUTH_ERRORS["token_invalid"])}
            )
            await self.close(code=UNAUTHENTICATED_CLOSE_CODE)
            return None
        return user

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, default=str))

    async def _frame(self, text_data: str | None) -> dict[str, Any] | None:
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self._send({"type": "error", "code": "bad_frame", "detail": "Send JSON text frames of at most 8 KB."})
            return None
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._send(
                {"type": "error", "code": "bad_frame", "detail": 'A frame is a JSON object with a "type".'}
            )
            return None
        return frame


class ChatStreamConsumer(_Authenticated):
    async def connect(self) -> None:
        self.user = await self._admit()
        if self.user is None:
            return
        try:
            self.session = await database_sync_to_async(selectors.session_get_for_actor)(
                actor=self.user, session_id=self.scope["url_route"]["kwargs"]["session_id"]
            )
        except (DomusError, ValueError):
            await self._send({"type": "error", "code": "not_found", "detail": "Chat session not found."})
            await self.close(code=NOT_FOUND_CLOSE_CODE)
            return
        await self._send({"type": "ready", "session_id": str(self.session.pk)})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self._frame(text_data)
        if frame is None:
            return
        if frame["type"] == "ping":
            await self._send({"type": "pong"})
            return
        content = frame.get("content")
        if frame["type"] != "message" or not isinstance(content, str) or not content.strip():
            await self._send(
                {"type": "error", "code": "bad_frame", "detail": 'Send {"type": "message", "content": "..."}.'}
            )
            return
        if len(content) > MAX_QUESTION or "\x00" in content:
            await self._send({"type": "error", "code": "bad_frame", "detail": "At most 2000 characters, no NUL."})
            return
        await self._answer(content)

    async def _answer(self, content: str) -> None:
        await self._send({"type": "typing", "state": "start"})
        try:
            prepared, _ = await database_sync_to_async(assist.chat_begin)(
                actor=self.user, session=self.session, content=content
            )
            pieces = assist.generate(prepared)
            text = []
            while (piece := await database_sync_to_async(next)(pieces, None)) is not None:
                text.append(piece)
                await self._send({"type": "chunk", "content": piece})
            answer = await database_sync_to_async(assist.chat_end)(
                actor=self.user, session=self.session, prepared=prepared, text="".join(text)
            )
        except DomusError as error:
            await self._send({"type": "typing", "state": "stop"})
            await self._send({"type": "error", "code": error.code, "detail": str(error.detail)})
            return
        await self._send({"type": "typing", "state": "stop"})
        await self._send({"type": "message", **answer.as_dict()})


class MLStreamConsumer(_Authenticated):
    async def connect(self) -> None:
        self.user = await self._admit()
        if self.user is None:
            return
        self.group = ml_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._send({"type": "welcome", "user_id": str(self.user.pk)})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self._frame(text_data)
        if frame is not None and frame["type"] == "ping":
            await self._send({"type": "pong"})

    async def push(self, event: dict[str, Any]) -> None:
        await self._send(event["payload"])
