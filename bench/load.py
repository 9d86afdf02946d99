"""A small, bounded HTTP load generator for a Domus server on this machine.

    .venv/bin/python bench/load.py --url http://127.0.0.1:8765/api/v1/health --concurrency 32 --duration 10
    .venv/bin/python bench/load.py --url http://127.0.0.1:8765/api/v1/accounts/me/ \
        --login bench0001@bench.example.com:Load-Test-2024!x

It only talks to 127.0.0.1, ::1 or localhost, stops after ``--duration`` seconds (at
most 60) or ``--requests`` requests, whichever comes first, and prints requests/s,
p50/p95/p99 latency, the error count and a status histogram (``--json`` for a
machine-readable line). A Python client shares the CPU with the server it measures:
on a small machine ``wrk`` (see bench/run.sh) reports higher, truer server numbers.
"""

import argparse
import asyncio
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_DURATION = 60.0
MAX_CONCURRENCY = 512
MAX_WARMUP = 10.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    started: int = 0

    def record(self, status: int | str, latency: float) -> None:
        self.statuses[str(status)] += 1
        if isinstance(status, str) or status >= 400:
            self.errors += 1
        if isinstance(status, int):
            self.latencies.append(latency)


def percentile(sorted_values: list[float], pct: float) -> float:
    """The nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def local_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"refusing {url!r}: this tool only loads http(s) servers on 127.0.0.1, ::1 or localhost")
    return url


def login_url_for(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/api/v1/auth/login/", "", ""))


async def fetch_token(client: httpx.AsyncClient, login_url: str, credentials: str) -> str:
    email, sep, password = credentials.partition(":")
    if not sep:
        raise SystemExit("--login expects email:password")
    response = await client.post(login_url, json={"email": email, "password": password})
    if response.status_code != 200:
        raise SystemExit(f"login failed: {response.status_code} {response.text[:200]}")
    return response.json()["access"]


async def worker(client: httpx.AsyncClient, url: str, deadline: float, budget: int | None, tally: Tally | None) -> None:
    while time.perf_counter() < deadline:
        if tally is not None and budget is not None:
            if tally.started >= budget:
                return
            tally.started += 1
        started = time.perf_counter()
        try:
            response = await client.get(url)
            await response.aread()
            status: int | str = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        if tally is not None:
            tally.record(status, time.perf_counter() - started)


async def run(args: argparse.Namespace) -> dict:
    headers = {"User-Agent": "domus-bench-load/1"}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    timeout = httpx.Timeout(args.timeout)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=timeout) as client:
        token = args.token
        if args.login:
            token = await fetch_token(client, local_url(args.login_url or login_url_for(args.url)), args.login)
        if token:
            client.headers["Authorization"] = f"Bearer {token}"
        if args.warmup > 0:
            deadline = time.perf_counter() + args.warmup
            await asyncio.gather(*(worker(client, args.url, deadline, None, None) for _ in range(args.concurrency)))
        tally = Tally()
        started = time.perf_counter()
        deadline = started + args.duration
        await asyncio.gather(
            *(worker(client, args.url, deadline, args.requests, tally) for _ in range(args.concurrency))
        )
        elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies)
    total = sum(tally.statuses.values())
    return {
        "tool": "load.py",
        "url": args.url,
        "concurrency": args.concurrency,
        "duration_s": round(elapsed, 2),
        "requests": total,
        "rps": round(total / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "errors": tally.errors,
        "statuses": dict(sorted(tally.statuses.items())),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="GET this URL (127.0.0.1, ::1 or localhost only).")
    parser.add_argument("--concurrency", type=int, default=16, help=f"Requests in flight (1-{MAX_CONCURRENCY}).")
    parser.add_argument("--duration", type=float, default=10.0, help=f"Seconds of load (at most {MAX_DURATION:g}).")
    parser.add_argument("--requests", type=int, default=None, help="Stop after this many requests.")
    parser.add_argument("--warmup", type=float, default=1.0, help="Seconds of unmeasured load first (at most 10).")
    parser.add_argument("--timeout", type=float, default=10.0, help="Per-request timeout in seconds.")
    parser.add_argument("--token", help="Send 'Authorization: Bearer <token>'.")
    parser.add_argument("--login", metavar="EMAIL:PASSWORD", help="Log in first and send the access token.")
    parser.add_argument("--login-url", help="Login URL (default: /api/v1/auth/login/ on the same server).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of the summary.")
    args = parser.parse_args(argv)
    local_url(args.url)
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION:g}]")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be in [1, {MAX_CONCURRENCY}]")
    if args.requests is not None and args.requests < 1:
        parser.error("--requests must be at least 1")
    if not 0 <= args.warmup <= MAX_WARMUP:
        parser.error(f"--warmup must be in [0, {MAX_WARMUP:g}]")
    if args.token and args.login:
        parser.error("give --token or --login, not both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['url']}  concurrency {result['concurrency']}, {result['duration_s']} s")
    print(f"  requests   {result['requests']}  ({result['rps']} req/s)")
    print(f"  latency    p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms")
    print(f"  errors     {result['errors']}")
    print("  statuses   " + ", ".join(f"{k}: {v}" for k, v in result["statuses"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
