"""No passage, citation or answer grounded in a document the caller cannot read reaches
them, through any endpoint: assist, preview, the assist job, chat (HTTP and WebSocket),
the legacy GPT path and the review queue."""

import json

from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator

from domus.accounts.tokens import issue_pair
from domus.assistant.tests.helpers import ASSIST, WS_WAIT, current_version_id, upload_pdf
from domus.routing import websocket_urlpatterns

SECRET = "The master key code for the plant room is 7731-ALPHA and it is kept in the red safe."
QUESTION = "What is the master key code for the plant room?"


def _leaks(payload, version_id: str, document_id: str) -> bool:
    text = json.dumps(payload)
    return version_id in text or document_id in text or "7731-ALPHA" in text or "red safe" in text


def _secret(client_for, staff, **fields):
    client = client_for(staff)
    document = upload_pdf(client, "Plant room access.", SECRET, name="keys.pdf", is_internal="true", **fields)
    return document["id"], current_version_id(client, document["id"])


def test_a_reader_gets_the_passage_and_others_get_nothing_through_any_endpoint(
    client_for, staff, tenant, other_staff, stranger, lease, monkeypatch
):
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    document_id, version_id = _secret(client_for, staff, lease_id=lease.pk)
    upload_pdf(client_for(staff), "General notice: the lifts are serviced on Mondays.", name="notice.pdf")

    # The control: staff of the company read it, so they get it.
    own = client_for(staff).post_json(ASSIST, {"question": QUESTION}).json()
    assert own["citations"][0]["version_id"] == version_id
    assert "7731-ALPHA" in own["answer"]

    for outsider in (tenant, other_staff, stranger):  # the tenant: the document is internal
        client = client_for(outsider)
        seen = [
            client.post_json(ASSIST, {"question": QUESTION}).json(),
            client.post_json("/api/v1/assistant/assist/preview/", {"question": QUESTION}).json(),
            client.post_json("/api/accounts/auth/gpt/", {"prompt": QUESTION}).json(),
            client.post_json(ASSIST, {"question": QUESTION, "context": {"type": "document", "id": document_id}}).json(),
        ]
        job = client.post_json("/api/v1/assistant/assist/task/", {"question": QUESTION}).json()
        seen.append(client.get(f"/api/v1/assistant/jobs/{job['id']}/").json())
        session = client.post_json("/api/v1/assistant/chat/sessions/", {}).json()
        seen.append(
            client.post_json(f"/api/v1/assistant/chat/sessions/{session['id']}/messages/", {"content": QUESTION}).json()
        )
        seen.append(client.get(f"/api/v1/assistant/chat/sessions/{session['id']}/").json())
        seen.append(_ws_answer(outsider, session["id"]))
        seen.append(client.get("/api/v1/assistant/reviews/").json())
        for payload in seen:
            assert not _leaks(payload, version_id, document_id), payload


def test_a_reviewer_never_sees_an_answer_citing_what_they_cannot_read(client_for, staff, other_staff, company):
    from domus.accounts.tests.factories import UserFactory
    from domus.core.roles import Role
    from domus.organizations.tests.factories import MembershipFactory

    # Another company shares its internal document with one member of ours.
    document_id, version_id = _secret(client_for, other_staff)
    client_for(other_staff).post_json(f"/api/v1/documents/{document_id}/share/", {"user_id": str(staff.pk)})
    asker = client_for(staff)
    session = asker.post_json("/api/v1/assistant/chat/sessions/", {}).json()
    answer = asker.post_json(f"/api/v1/assistant/chat/sessions/{session['id']}/messages/", {"content": QUESTION}).json()
    assert answer["citations"][0]["version_id"] == version_id
    review = asker.post_json("/api/v1/assistant/reviews/", {"message_id": answer["message_id"]}).json()
    assert review["citations"][0]["version_id"] == version_id  # the asker sees their own

    # A reviewer of our company may not read it: they see the question, not the answer or its sources.
    reviewer = MembershipFactory(company=company, role=Role.STAFF, user=UserFactory(role=Role.STAFF)).user
    shown = client_for(reviewer).get(f"/api/v1/assistant/reviews/{review['id']}/").json()
    assert shown["question"] == QUESTION
    assert shown["withheld"] is True
    assert not _leaks(shown, version_id, document_id)
    listed = client_for(reviewer).get("/api/v1/assistant/reviews/").json()
    assert listed["results"][0]["id"] == review["id"]
    assert not _leaks(listed, version_id, document_id)


def _ws_answer(user, session_id: str) -> dict:
    app = URLRouter(websocket_urlpatterns)
    token = issue_pair(user).access

    async def scenario():
        socket = WebsocketCommunicator(app, f"/api/v1/chat/stream/{session_id}/?token={token}")
        connected, _ = await socket.connect(timeout=WS_WAIT)
        assert connected
        frames = [await socket.receive_json_from(timeout=WS_WAIT)]
        await socket.send_json_to({"type": "message", "content": QUESTION})
        while True:
            frame = await socket.receive_json_from(timeout=WS_WAIT)
            frames.append(frame)
            if frame["type"] in ("message", "error"):
                break
        await socket.disconnect()
        return frames

    return {"frames": async_to_sync(scenario)()}
