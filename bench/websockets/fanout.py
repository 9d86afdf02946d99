"""WebSocket fan-out and chat throughput against a real ASGI server on Redis.

    export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_comms
    export REDIS_URL=redis://127.0.0.1:6379/2 SECRET_KEY=bench-only-secret-key-that-is-long-enough-for-hs256
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/websockets/fanout.py --clients 1000 --rounds 20 --messages 500

Starts ``uvicorn domus.asgi:application`` (one process) on ``--port``, opens
``--clients`` sockets to ``/ws/`` (JWT in the query string), each subscribed to the
``dashboard`` stream of a bench admin, then ``--rounds`` times sends one event to that
group through the channel layer (what a ``lead.captured`` subscriber does) and times
until the first and the last socket received it. Then ``--messages`` chat messages are
posted over HTTP (``send_message`` through Django's test client: JWT auth, the service,
the database, the push) while a member's socket listens: messages/s is counted until the
last one arrived over the socket. Creates two bench users and one conversation (kept for
the next run); bounded at 5,000 clients.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
MAX_CLIENTS = 5000


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    os.environ.setdefault("RATE_LIMITS_ENABLED", "false")  # one sender posting hundreds of messages
    import django

    django.setup()


def bench_users():
    from django.contrib.auth import get_user_model

    from domus.accounts.services import user_create
    from domus.core.roles import Role

    users = []
    for name, role in (("ws-bench-admin", Role.ADMIN), ("ws-bench-peer", Role.CUSTOMER)):
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            user = user_create(
                actor=None, email=f"{name}@bench.test", password="bench-pass-123", username=name, role=role
            )
        users.append(user)
    return users


async def wait_for_server(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120  # a loaded machine loads the app slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("uvicorn exited; see its output above")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("uvicorn did not start")


async def open_socket(url: str, channel: str):
    import websockets

    # No Origin header: a command-line client, admitted on its token alone (a browser's
    # Origin would be checked against WEBSOCKET_ALLOWED_ORIGINS).
    socket = await websockets.connect(url, max_queue=None, open_timeout=60)
    assert json.loads(await socket.recv())["type"] == "welcome"
    await socket.send(json.dumps({"type": "subscribe", "channel": channel}))
    answer = json.loads(await socket.recv())
    assert answer["type"] == "subscribed", answer
    return socket


async def fanout(args, url: str) -> dict:
    from channels.layers import get_channel_layer

    from domus.communications.realtime import dashboard_group

    sockets = []
    started = time.perf_counter()
    for start in range(0, args.clients, 100):  # connect in waves of 100
        sockets += await asyncio.gather(
            *(open_socket(url, "dashboard") for _ in range(start, min(start + 100, args.clients)))
        )
    connect_seconds = time.perf_counter() - started
    layer = get_channel_layer()
    firsts, lasts = [], []
    for round_ in range(args.rounds):
        payload = {"type": "dashboard", "channel": "dashboard", "event": "bench.tick", "data": {"round": round_}}
        sent = time.perf_counter()
        await layer.group_send(dashboard_group(None), {"type": "push", "payload": payload, "exclude": ""})
        arrivals = await asyncio.gather(*(_arrival(s, round_) for s in sockets))
        firsts.append((min(arrivals) - sent) * 1000)
        lasts.append((max(arrivals) - sent) * 1000)
        await asyncio.sleep(0.2)
    await asyncio.gather(*(s.close() for s in sockets))
    return {
        "clients": len(sockets),
        "connect_seconds": round(connect_seconds, 2),
        "first_ms_p50": round(percentile(firsts, 50), 1),
        "last_ms_p50": round(percentile(lasts, 50), 1),
        "last_ms_p95": round(percentile(lasts, 95), 1),
        "last_ms_max": round(max(lasts), 1),
    }


async def _arrival(socket, round_: int) -> float:
    while True:
        frame = json.loads(await socket.recv())
        if frame.get("event") == "bench.tick" and frame["data"]["round"] == round_:
            return time.perf_counter()


async def chat(args, base_url: str, sender, peer) -> dict:
    from asgiref.sync import sync_to_async
    from django.test import Client

    from domus.accounts.tokens import issue_pair
    from domus.communications.services import conversation_start

    conversation, _ = await sync_to_async(conversation_start)(actor=sender, participant_ids=[peer.pk], title="bench")
    peer_token, sender_token = [(await sync_to_async(issue_pair)(u)).access for u in (peer, sender)]
    peer_socket = await open_socket(f"{base_url}?token={peer_token}", f"chat:{conversation.pk}")
    client = Client(headers={"Authorization": f"Bearer {sender_token}"})
    path = f"/api/v1/communications/conversations/{conversation.pk}/send_message/"

    def post_all() -> float:
        started = time.perf_counter()
        for i in range(args.messages):
            response = client.post(path, {"body": f"message {i}"}, content_type="application/json")
            assert response.status_code == 201, response.content
        return time.perf_counter() - started

    async def receive_all() -> float:
        received = 0
        while received < args.messages:
            if json.loads(await peer_socket.recv()).get("type") == "message":
                received += 1
        return time.perf_counter()

    started = time.perf_counter()
    receiver = asyncio.create_task(receive_all())
    post_seconds = await sync_to_async(post_all, thread_sensitive=False)()
    last_arrival = await receiver
    await peer_socket.close()
    return {
        "messages": args.messages,
        "http_posts_per_second": round(args.messages / post_seconds, 1),
        "delivered_per_second": round(args.messages / (last_arrival - started), 1),
    }


async def main_async(args) -> None:
    setup_django()
    admin, peer = await asyncio.to_thread(bench_users)
    from domus.accounts.tokens import issue_pair

    token = await asyncio.to_thread(lambda: issue_pair(admin).access)
    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING")
    server = subprocess.Popen(  # noqa: S603  (a fixed argv, no shell)
        [
            str(Path(sys.executable).with_name("uvicorn")),  # the uvicorn of this interpreter's venv
            "domus.asgi:application",
            "--port",
            str(args.port),
            "--log-level",
            "warning",
            "--ws",
            "websockets",
            "--ws-max-queue",
            "1000",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        await wait_for_server(args.port, server)
        base_url = f"ws://127.0.0.1:{args.port}/ws/"
        results = {"fanout": await fanout(args, f"{base_url}?token={token}")}
        print(json.dumps(results), flush=True)
        if args.messages:
            results["chat"] = await chat(args, base_url, admin, peer)
        print(json.dumps(results, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", help="Also write the results as JSON to this file (bench/bench.py reads it).")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        raise SystemExit(f"--clients must be 1..{MAX_CLIENTS}")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL: the benchmark measures the Redis channel layer.")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
