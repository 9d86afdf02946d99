"""Function calling with a model: the OpenAI-compatible adapter offers the assistant's tools,
runs the model's calls through the same scoped tools (the asker's permissions) and returns
the model's final answer, streamed. The model is a fake server at the HTTP boundary (respx);
the adapter, the tools and the selectors run for real."""

import json
from decimal import Decimal

import httpx
import respx
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.apps import apps

from domus.accounts.tokens import issue_pair
from domus.assistant.tests.helpers import ASSIST, WS_WAIT
from domus.assistant.tools import call_tool
from domus.properties.tests.factories import FeatureFactory, ListingFactory
from domus.routing import websocket_urlpatterns

APP = URLRouter(websocket_urlpatterns)

BASE = "http://llm.test/v1"


def _event(delta: dict) -> str:
    return "data: " + json.dumps({"choices": [{"delta": delta, "index": 0}]}) + "\n\n"


def _tool_call_stream(name: str, arguments: str, *, call_id: str = "call_1") -> httpx.Response:
    """A streamed turn in which the model calls ``name``, its arguments in two fragments."""
    half = len(arguments) // 2
    events = [
        _event(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": arguments[:half]},
                    }
                ],
            }
        ),
        _event({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}),
        "data: " + json.dumps({"choices": [{"delta": {}, "finish_reason": "tool_calls", "index": 0}]}) + "\n\n",
        "data: [DONE]\n\n",
    ]
    return httpx.Response(200, content="".join(events).encode())


def _text_stream(*pieces: str) -> httpx.Response:
    return httpx.Response(200, content=("".join(_event({"content": p}) for p in pieces) + "data: [DONE]\n\n").encode())


def _work_order(**fields):
    return apps.get_model("maintenance", "WorkOrder").objects.create(
        name="Tenant", email="tenant@example.test", message="The kitchen tap leaks.", **fields
    )


@respx.mock
def test_the_model_calls_the_listing_search_and_answers_from_its_results(client_for, user, settings):
    settings.ASSISTANT_LLM_URL = BASE
    settings.ASSISTANT_LLM_MODEL = "tiny"
    parking = FeatureFactory(name="Parking", slug="parking")
    ListingFactory(title="Westlands garden flat", bedrooms=3, price=Decimal(75000), listing_type="rent").features.set(
        [parking]
    )
    ListingFactory(title="Westlands loft", bedrooms=1, price=Decimal(60000), listing_type="rent")
    route = respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[
            _tool_call_stream(
                "listing_search",
                json.dumps({"min_bedrooms": 3, "max_price": 80000, "features": "parking", "search": "Westlands"}),
            ),
            _text_stream("The Westlands garden flat ", "matches."),
        ]
    )

    body = client_for(user).post_json(ASSIST, {"question": "3-bed in Westlands under 80k with parking"}).json()

    assert body["answer"] == "The Westlands garden flat matches."
    tool = body["tool_results"][0]
    assert tool["tool"] == "listing_search"
    assert tool["filters"]["max_price"] == "80000.00"
    assert [row["title"] for row in tool["results"]] == ["Westlands garden flat"]
    assert body["grounded"] is True
    assert body["review_id"] is None
    first, second = (json.loads(call.request.content) for call in route.calls)
    assert {f["function"]["name"] for f in first["tools"]} >= {"listing_search", "my_invoices", "my_repairs"}
    assert first["stream"] is True
    # The second request carries the model's call and the tool's result, fenced as data.
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "listing_search"
    tool_turn = second["messages"][-1]
    assert tool_turn["role"] == "tool"
    assert tool_turn["tool_call_id"] == "call_1"
    assert tool_turn["content"].startswith("<tool_results>")
    assert "Westlands garden flat" in tool_turn["content"]


@respx.mock
def test_a_tenant_asks_for_the_status_of_their_repair_through_the_model(
    client_for, tenant, stranger, company, settings
):
    settings.ASSISTANT_LLM_URL = BASE
    mine = _work_order(company=company, requester=tenant, status="scheduled")
    _work_order(company=company, requester=stranger, status="requested")
    respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[_tool_call_stream("my_repairs", "{}"), _text_stream("Your repair is scheduled.")]
    )

    body = client_for(tenant).post_json(ASSIST, {"question": "What is the status of my repair?"}).json()

    assert body["answer"] == "Your repair is scheduled."
    repairs = body["tool_results"][0]
    assert repairs["tool"] == "my_repairs"
    assert [(row["id"], row["status"]) for row in repairs["results"]] == [(str(mine.pk), "scheduled")]


def test_offline_the_repair_question_runs_the_maintenance_tool(client_for, tenant, stranger, company):
    mine = _work_order(company=company, requester=tenant, status="in_progress")
    _work_order(company=company, requester=stranger)

    body = client_for(tenant).post_json(ASSIST, {"question": "What is the status of my repair?"}).json()

    repairs = next(t for t in body["tool_results"] if t["tool"] == "my_repairs")
    assert [row["id"] for row in repairs["results"]] == [str(mine.pk)]
    assert repairs["results"][0]["status_label"] == "In progress"
    assert body["review_id"] is None  # a data question answered by a tool


def test_tool_calls_run_with_the_askers_permissions_and_reject_bad_arguments(tenant, stranger, company, lease):
    _work_order(company=company, requester=tenant)
    assert call_tool(actor=stranger, name="my_repairs", arguments={})["results"] == []
    assert call_tool(actor=stranger, name="my_lease", arguments={})["results"] == []
    assert [r["id"] for r in call_tool(actor=tenant, name="my_lease", arguments={})["results"]] == [str(lease.pk)]
    assert call_tool(actor=tenant, name="drop_tables", arguments={})["error"] == "No such tool."
    assert "Unknown arguments" in call_tool(actor=tenant, name="listing_search", arguments={"owner": "x"})["error"]
    assert call_tool(actor=tenant, name="listing_search", arguments={"min_bedrooms": -4})["error"].startswith("Bad")
    assert call_tool(actor=tenant, name="listing_search", arguments=["not", "an", "object"])["error"]


@respx.mock
def test_the_chat_stream_passes_on_the_model_text_after_a_tool_call(client_for, tenant, company, lease, settings):
    settings.ASSISTANT_LLM_URL = BASE
    respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[_tool_call_stream("my_lease", "{}"), _text_stream("Your lease ", "runs to ", "next year.")]
    )
    session = client_for(tenant).post_json("/api/v1/assistant/chat/sessions/", {"title": "Lease"}).json()
    token = issue_pair(tenant).access

    async def scenario():
        socket = WebsocketCommunicator(APP, f"/api/v1/chat/stream/{session['id']}", subprotocols=["bearer", token])
        await socket.connect(timeout=WS_WAIT)
        frames = [await socket.receive_json_from(timeout=WS_WAIT)]
        await socket.send_json_to({"type": "message", "content": "When does my lease end?"})
        while frames[-1]["type"] != "message":
            frames.append(await socket.receive_json_from(timeout=WS_WAIT))
        await socket.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    assert [f["content"] for f in frames if f["type"] == "chunk"] == ["Your lease ", "runs to ", "next year."]
    final = frames[-1]
    assert final["answer"] == "Your lease runs to next year."
    assert final["tool_results"][0]["tool"] == "my_lease"
    assert final["tool_results"][0]["results"][0]["id"] == str(lease.pk)
