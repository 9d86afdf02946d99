"""The chat stream (typing, chunks, the final message with sources, the transcript saved),
the ML job stream, and the index rebuild job with its status."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator

from domus.accounts.tokens import issue_pair
from domus.assistant.models import ChatMessage, Chunk
from domus.assistant.tests.helpers import HOUSE_RULES, WS_WAIT, current_version_id, upload_pdf
from domus.routing import websocket_urlpatterns

APP = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _sockets(monkeypatch):
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_the_chat_stream_sends_typing_chunks_and_the_answer_with_its_sources(client_for, staff):
    client = client_for(staff)
    document = upload_pdf(client, *HOUSE_RULES)
    version_id = current_version_id(client, document["id"])
    session = client.post_json("/api/chat/sessions/", {}).json()
    token = issue_pair(staff).access

    async def scenario():
        socket = WebsocketCommunicator(APP, f"/api/v1/chat/stream/{session['id']}", subprotocols=["bearer", token])
        connected, _ = await socket.connect(timeout=WS_WAIT)
        frames = [await socket.receive_json_from(timeout=WS_WAIT)]
        await socket.send_json_to({"type": "message", "content": "When does the swimming pool close?"})
        while frames[-1]["type"] != "message":
            frames.append(await socket.receive_json_from(timeout=WS_WAIT))
        await socket.disconnect()
        return connected, frames

    connected, frames = async_to_sync(scenario)()

    assert connected
    kinds = [frame["type"] for frame in frames]
    assert kinds[:2] == ["ready", "typing"]
    assert kinds[-2:] == ["typing", "message"]
    chunks = [frame["content"] for frame in frames if frame["type"] == "chunk"]
    assert len(chunks) > 1
    final = frames[-1]
    assert "".join(chunks).strip() == final["answer"]
    assert final["citations"][0]["version_id"] == version_id
    transcript = client.get(f"/api/v1/chat/sessions/{session['id']}/").json()["messages"]
    assert [m["role"] for m in transcript] == ["user", "assistant"]
    assert transcript[1]["citations"][0]["version_id"] == version_id


def test_a_chat_stream_of_another_users_session_or_without_a_token_is_closed(client_for, staff, stranger):
    session = client_for(staff).post_json("/api/v1/assistant/chat/sessions/", {}).json()
    token = issue_pair(stranger).access

    async def scenario():
        results = []
        for path in (f"/chat/stream/{session['id']}/", f"/chat/stream/{session['id']}/?token={token}"):
            socket = WebsocketCommunicator(APP, path)
            await socket.connect(timeout=WS_WAIT)
            frame = await socket.receive_json_from(timeout=WS_WAIT)
            closed = await socket.receive_output(timeout=WS_WAIT)
            results.append((frame["code"], closed["code"]))
        return results

    assert async_to_sync(scenario)() == [("token_missing", 4401), ("not_found", 4404)]
    assert not ChatMessage.objects.exists()


def test_reindex_is_a_job_with_progress_on_the_ml_stream_and_a_status(client_for, admin_user, staff, settings):
    upload_pdf(client_for(staff), *HOUSE_RULES)
    Chunk.objects.update(model_id="an-older-model")
    token = issue_pair(admin_user).access
    admin = client_for(admin_user)
    assert client_for(staff).post_json("/api/documents/reindex/").status_code == 403

    async def scenario():
        from asgiref.sync import sync_to_async

        socket = WebsocketCommunicator(APP, f"/api/v1/ml/stream/?token={token}")
        await socket.connect(timeout=WS_WAIT)
        assert (await socket.receive_json_from(timeout=WS_WAIT))["type"] == "welcome"
        response = await sync_to_async(admin.post_json)("/api/v1/documents/reindex/")
        frames = []
        while not frames or frames[-1]["status"] not in ("done", "failed"):
            frames.append(await socket.receive_json_from(timeout=WS_WAIT))
        await socket.disconnect()
        return response, frames

    response, frames = async_to_sync(scenario)()

    assert response.status_code == 202
    job_id = response.json()["id"]
    assert [f["status"] for f in frames][-1] == "done"
    assert any(f["status"] == "running" and f["progress"] == 1 for f in frames)
    status = admin.get(f"/api/v1/ai/assist/task/{job_id}/").json()
    assert status["status"] == "done"
    assert status["result"]["chunks"] >= 1
    assert set(Chunk.objects.values_list("model_id", flat=True)) == {"all-MiniLM-L6-v2-onnx-int8"}
    assert client_for(staff).get(f"/api/v1/assistant/jobs/{job_id}/").status_code == 404
